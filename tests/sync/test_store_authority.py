"""Per-record store authority through the real service (HTTPS, enrolled desks): a desk
records its own store's visits, complaints and staff; members are the chain's."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import Engine, select

from tests.sync.helpers import edit_member, new_member, wait_for_watermark
from tests.sync.service import ServiceThread
from vipdesk.db import session_factory, unit_of_work
from vipdesk.models import Complaint, Member, Staff, Store, SyncDeadLetter, Visit, utcnow
from vipdesk.models.sync import CentralPushLog
from vipdesk.services.auth import Actor
from vipdesk.sync import dead_letters
from vipdesk.sync.engine import sync_once
from vipdesk.sync.remote import RemoteCentre


def _add_store(desk: Engine, code: str) -> uuid.UUID:
    with unit_of_work(session_factory(desk)) as s:
        store = Store(code=code, name=f"贵宾厅 {code}")
        s.add(store)
        s.flush()
        return store.id


def _add_staff(desk: Engine, staff_no: str, store_id: uuid.UUID) -> uuid.UUID:
    with unit_of_work(session_factory(desk)) as s:
        person = Staff(staff_no=staff_no, name="李娜", role="staff", store_id=store_id)
        s.add(person)
        s.flush()
        return person.id


def _visit(desk: Engine, member_id: uuid.UUID, store_id: uuid.UUID) -> uuid.UUID:
    with unit_of_work(session_factory(desk)) as s:
        visit = Visit(member_id=member_id, store_id=store_id, checked_in_at=utcnow())
        s.add(visit)
        s.flush()
        return visit.id


def _complaint(desk: Engine, member_id: uuid.UUID, store_id: uuid.UUID) -> uuid.UUID:
    with unit_of_work(session_factory(desk)) as s:
        complaint = Complaint(member_id=member_id, store_id=store_id, received_at=utcnow(),
                              description="等候太久", category="service", severity="minor")
        s.add(complaint)
        s.flush()
        return complaint.id


def _rename_staff(desk: Engine, staff_id: uuid.UUID, name: str) -> None:
    with unit_of_work(session_factory(desk)) as s:
        person = s.get(Staff, staff_id)
        assert person is not None
        person.name = name


def _ids(engine: Engine, model: type) -> set[uuid.UUID]:
    with engine.connect() as conn:
        return set(conn.scalars(select(model.id)))  # type: ignore[attr-defined]


def _chain(service: ServiceThread, make_desk) -> tuple:  # type: ignore[no-untyped-def]
    """Two lounges through the service: SH01's desk holds BJ01's store, staff and a
    member pulled from BJ01's desk."""
    sh, bj = make_desk("sh", seed_tiers=True), make_desk("bj")
    sh_client, bj_client = service.enrol("SH01", "SH01 desk"), service.enrol("BJ01", "BJ01 desk")
    sh_store = _add_store(sh, "SH01")
    sync_once(sh, sh_client, "SH01")
    wait_for_watermark(service.centre)
    sync_once(bj, bj_client, "BJ01")
    bj_store = _add_store(bj, "BJ01")
    bj_staff = _add_staff(bj, "BJ-7", bj_store)
    member = new_member(bj, "M1")
    assert sync_once(bj, bj_client, "BJ01").pending == 0
    wait_for_watermark(service.centre)
    sync_once(sh, sh_client, "SH01")
    return sh, sh_client, sh_store, bj_store, bj_staff, member


def test_another_stores_visit_complaint_and_staff_change_are_refused_own_and_shared_applied(
        service: ServiceThread, fresh_pg_url: str, make_desk) -> None:
    sh, sh_client, sh_store, bj_store, bj_staff, member = _chain(service, make_desk)
    theirs = {_visit(sh, member, bj_store), _complaint(sh, member, bj_store)}
    _rename_staff(sh, bj_staff, "改名")
    own_visit = _visit(sh, member, sh_store)
    edit_member(sh, member, name_zh="王芳芳")  # members are the chain's: any store edits
    assert sync_once(sh, sh_client, "SH01").pending == 0

    centre = service.centre.engine
    assert own_visit in _ids(centre, Visit)
    assert not theirs & (_ids(centre, Visit) | _ids(centre, Complaint))
    with centre.connect() as conn:
        assert conn.scalar(select(Staff.name).where(Staff.id == bj_staff)) == "李娜"
        assert conn.scalar(select(Member.name_zh).where(Member.id == member)) == "王芳芳"
        refused_at_centre = conn.execute(select(SyncDeadLetter.table_name,
                                                SyncDeadLetter.reason)).all()
        outcomes = [json.loads(o) for o in conn.scalars(
            select(CentralPushLog.outcomes).where(CentralPushLog.store == "SH01"))]
    device = str(_device_of(sh_client))
    assert sorted(t for t, _ in refused_at_centre) == ["complaints", "staff", "visits"]
    assert all(f"device {device}" in reason and "store BJ01" in reason
               for _, reason in refused_at_centre)
    assert sum(o.get("rejected", 0) for o in outcomes) == 3
    _assert_desk_shows_refusals(sh)


def _assert_desk_shows_refusals(desk: Engine) -> None:
    with session_factory(desk)() as s:
        letters = dead_letters.list_dead_letters(s)
    assert sorted(v.table_name for v in letters) == ["complaints", "staff", "visits"]
    for view in letters:
        assert view.reason_code == "other_store" and view.reason_value == "BJ01"
        assert view.reason_text.startswith("This record belongs to store BJ01")
        assert "device" not in view.raw_reason  # the desk is told why, not the bookkeeping
        assert not view.can_retry
    manager = Actor(uuid.uuid4(), "manager", "店长")
    with unit_of_work(session_factory(desk)) as s, pytest.raises(
            dead_letters.DeadLetterError, match="Another store's record"):
        dead_letters.retry(s, manager, letters[0].id)


def test_a_desk_cannot_move_its_visit_to_another_store(
        service: ServiceThread, fresh_pg_url: str, make_desk) -> None:
    sh, sh_client, sh_store, bj_store, _staff, member = _chain(service, make_desk)
    visit = _visit(sh, member, sh_store)
    sync_once(sh, sh_client, "SH01")
    with unit_of_work(session_factory(sh)) as s:
        row = s.get(Visit, visit)
        assert row is not None
        row.store_id = bj_store
    sync_once(sh, sh_client, "SH01")
    with service.centre.engine.connect() as conn:
        assert conn.scalar(select(Visit.store_id).where(Visit.id == visit)) == sh_store


def test_audit_entries_of_another_stores_account_are_kept(
        service: ServiceThread, fresh_pg_url: str, make_desk) -> None:
    """A chain administrator of BJ01 signed in at SH01's desk: what they did there is
    that desk's evidence (its chain), never refused for the account's store."""
    from vipdesk.models.audit import AuditEntry
    from vipdesk.services import audit
    from vipdesk.services.clock import Clock

    sh, sh_client, _sh_store, bj_store, bj_staff, member = _chain(service, make_desk)
    admin = Actor(bj_staff, "admin", "李娜", bj_store, "BJ-7", desk="SH01")
    with unit_of_work(session_factory(sh)) as s:
        audit.member_viewed(s, admin, member, Clock(), "lookup")
    assert sync_once(sh, sh_client, "SH01").outcomes.get("rejected", 0) == 0
    with service.centre.engine.connect() as conn:
        assert conn.scalar(select(AuditEntry.id).where(AuditEntry.store_id == bj_store)) is not None


def test_the_direct_mode_is_not_checked(pg_centre, make_desk) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk("a", seed_tiers=True)
    other = _add_store(desk, "BJ01")
    member = new_member(desk, "M1")
    visit = _visit(desk, member, other)
    sync_once(desk, pg_centre, "SH01")
    assert visit in _ids(pg_centre.engine, Visit)


def _device_of(client: RemoteCentre) -> uuid.UUID:
    token = client.client.headers["authorization"].split(" ")[1]
    return uuid.UUID(token.split(".")[1])
