"""A voided check-in (撤销来访登记) leaves every desk, through the real PostgreSQL centre,
and an offline desk's late check-out of it cannot bring it back."""

from __future__ import annotations

from sqlalchemy import select

from tests.sync.helpers import count, digest, new_member, wait_for_watermark
from vipdesk.db import session_factory
from vipdesk.models import AuditEntry, SyncTombstone, Visit
from vipdesk.services.auth import Actor
from vipdesk.services.visits import VisitDraft, VisitService
from vipdesk.sync.central import Centre
from vipdesk.sync.engine import sync_once

STAFF = Actor(None, "staff", "Staff Li", staff_no="S005")
MANAGER = Actor(None, "manager", "Manager Zhou", staff_no="S001")


def test_a_voided_visit_disappears_on_the_other_desk(centre: Centre, make_desk) -> None:
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    member_id = new_member(a, "M1")
    visits_a = VisitService(session_factory(a))
    visit = visits_a.check_in(STAFF, member_id, VisitDraft(purpose="取表"))
    sync_once(a, centre, "SH01")
    wait_for_watermark(centre)
    sync_once(b, centre, "BJ01")
    assert count(b, Visit) == 1

    visits_a.void_check_in(MANAGER, visit.visit_id, "选错了会员")
    VisitService(session_factory(b)).check_out(STAFF, member_id)  # B, offline, meanwhile
    pushed = sync_once(a, centre, "SH01")
    assert pushed.outcomes == {"applied": 2}  # the delete and its audit entry
    wait_for_watermark(centre)
    late = sync_once(b, centre, "BJ01")
    assert late.outcomes == {"obsolete": 1}  # B's check-out of a visit that is gone

    assert count(b, Visit) == count(a, Visit) == count(centre.engine, Visit) == 0
    with centre.engine.connect() as conn:
        stone = conn.execute(select(SyncTombstone.table_name, SyncTombstone.record_id)).one()
    assert tuple(stone) == ("visits", visit.visit_id)
    with session_factory(b)() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "visit.void")).one()
    assert entry.member_id == member_id and "选错了会员" in entry.detail
    wait_for_watermark(centre)
    sync_once(a, centre, "SH01")
    assert digest(a) == digest(b) == digest(centre.engine)
