"""Push and pull between desks through a real PostgreSQL centre and a SQLite stand-in."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.sync.conftest import centre_by_name
from tests.sync.helpers import (
    count,
    digest,
    edit_member,
    log_visit,
    member_field,
    new_member,
    outbox_size,
    wait_for_watermark,
)
from vipdesk.models import Member, MemberPhone, SyncChangeLog, SyncOutbox, Visit
from vipdesk.sync.central import Centre
from vipdesk.sync.engine import sync_once
from vipdesk.sync.push import read_batch


def test_orm_writes_fill_the_outbox_in_their_own_transaction(make_desk) -> None:
    desk = make_desk("a")
    member_id = new_member(desk, "M1")
    with desk.connect() as conn:
        ops = [op for _, op in read_batch(conn, 100)]
    kinds = [(op.kind, op.table_name) for op in ops]
    assert kinds[0] == ("insert", "members")  # parents before children
    assert ("insert", "member_phones") in kinds and ("insert", "member_cards") in kinds
    assert not any(t == "member_terms" for _, t in kinds)  # derived, rebuilt on each desk
    edit_member(desk, member_id, email="wang@example.com")
    with desk.connect() as conn:
        last = [op for _, op in read_batch(conn, 100)][-1]
    assert last.kind == "update"
    assert last.payload == {"set": {"email": "wang@example.com"}, "base": {"email": None}}


def test_a_rolled_back_write_leaves_no_op(make_desk) -> None:
    desk = make_desk("a")
    before = outbox_size(desk)
    with pytest.raises(RuntimeError), \
            __import__("vipdesk.db", fromlist=["x"]).unit_of_work(
                __import__("vipdesk.db", fromlist=["x"]).session_factory(desk)) as s:
        s.add(Member(member_no="X1", name_zh="回滚"))
        s.flush()
        raise RuntimeError("staff pressed cancel")
    assert outbox_size(desk) == before


@pytest.fixture(params=["pg", "sqlite", "service"])
def any_centre(request: pytest.FixtureRequest) -> Centre:
    return centre_by_name(request, request.param)


def test_two_desks_exchange_records(any_centre: Centre, make_desk) -> None:
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    member_id = new_member(a, "M1")
    log_visit(a, member_id)
    report = sync_once(a, any_centre, "SH01")
    assert report.pending == 0 and report.outcomes.get("rejected", 0) == 0
    wait_for_watermark(any_centre)  # other programs' open transactions hold pulls back
    sync_once(b, any_centre, "BJ01")
    assert member_field(b, member_id, "name_zh") == "王芳"
    assert count(b, Visit) == 1 and count(b, MemberPhone) == 1
    assert digest(a) == digest(b) == digest(any_centre.engine)


def test_pulled_names_are_searchable(centre: Centre, make_desk) -> None:
    from vipdesk.services.lookup import LookupService

    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    new_member(a, "M7", name="李娜")
    sync_once(a, centre, "SH01")
    wait_for_watermark(centre)  # other programs' open transactions hold pulls back
    sync_once(b, centre, "BJ01")
    assert [h.member_no for h in LookupService(b).search("李娜").hits] == ["M7"]


def test_repushing_the_same_ops_changes_nothing(centre: Centre, make_desk) -> None:
    desk = make_desk("a", seed_tiers=True)
    member_id = new_member(desk, "M1")
    edit_member(desk, member_id, email="a@example.com")
    with desk.connect() as conn:
        ops = [op for _, op in read_batch(conn, 1000)]
    first = centre.push("SH01", ops)
    assert {a.outcome.value for a in first.acks} == {"applied"}
    with centre.engine.connect() as conn:
        log_before = conn.scalar(select(SyncChangeLog.seq).order_by(SyncChangeLog.seq.desc()))
    before = digest(centre.engine)
    for _ in range(3):  # the ack was lost: the desk sends everything again
        again = centre.push("SH01", ops)
        assert {a.outcome.value for a in again.acks} == {"duplicate"}
    assert digest(centre.engine) == before
    with centre.engine.connect() as conn:
        assert conn.scalar(select(SyncChangeLog.seq).order_by(
            SyncChangeLog.seq.desc())) == log_before
    assert count(centre.engine, Member) == 1


def test_same_id_other_content_is_dead_lettered_and_does_not_block(
        centre: Centre, make_desk) -> None:
    desk = make_desk("a", seed_tiers=True)
    member_id = new_member(desk, "M1")
    visit_id = log_visit(desk, member_id, "first")
    with desk.connect() as conn:
        ops = [op for _, op in read_batch(conn, 1000)]
    centre.push("SH01", ops)
    import uuid as _uuid

    from vipdesk.outbox.ops import Op
    visit_op = next(op for op in ops if op.table_name == "visits")
    forged = Op(_uuid.uuid4(), "insert", "visits", visit_id,
                {"row": dict(visit_op.payload["row"], purpose="changed")}, visit_op.hlc)
    later = log_visit(desk, member_id, "second")
    with desk.connect() as conn:
        tail = [op for _, op in read_batch(conn, 1000) if op.record_id == later]
    result = centre.push("SH01", [forged, *tail])
    assert [a.outcome.value for a in result.acks] == ["rejected", "applied"]
    assert "different content" in result.acks[0].reason
    from vipdesk.models import SyncDeadLetter
    assert count(centre.engine, SyncDeadLetter) == 1
    with centre.engine.connect() as conn:
        assert conn.scalar(select(Visit.purpose).where(Visit.id == visit_id)) == "first"


def test_outbox_empties_and_pull_skips_own_echo(centre: Centre, make_desk) -> None:
    a = make_desk("a", seed_tiers=True)
    member_id = new_member(a, "M1")
    sync_once(a, centre, "SH01")
    assert outbox_size(a) == 0
    before = digest(a)
    sync_once(a, centre, "SH01")  # pulling its own changes back is harmless
    assert digest(a) == before
    assert member_field(a, member_id, "member_no") == "M1"
    with a.connect() as conn:
        assert conn.scalar(select(SyncOutbox.seq)) is None
    _ = json


def test_desks_that_seed_the_default_tiers_agree(centre: Centre, make_desk) -> None:
    a, b = make_desk("a", seed_tiers=True), make_desk("b", seed_tiers=True)
    first, second = sync_once(a, centre, "SH01"), sync_once(b, centre, "BJ01")
    assert set(first.outcomes) == {"applied"}
    assert set(second.outcomes) == {"duplicate"}  # same ids, same content
    sync_once(a, centre, "SH01")
    assert digest(a) == digest(b) == digest(centre.engine)


def test_a_new_pusher_supersedes_a_stuck_one(centre: Centre, make_desk) -> None:
    """A desk that lost its network mid-push still holds the store's lock: the next
    push of that store ends the stuck session instead of waiting for ever."""
    import psycopg

    desk = make_desk("a", seed_tiers=True)
    new_member(desk, "M1")
    dsn = centre.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    stuck = psycopg.connect(dsn)
    stuck.execute("SELECT pg_advisory_xact_lock(hashtextextended('vipdesk-push:SH01', 0))")
    report = sync_once(desk, centre, "SH01")
    assert report.pending == 0 and set(report.outcomes) == {"applied"}
    with pytest.raises(psycopg.OperationalError):
        stuck.execute("SELECT 1")
    stuck.close()


@pytest.mark.parametrize("poison", ["bad time", "unknown member"])
def test_a_poison_op_is_rejected_alone(centre: Centre, make_desk, poison: str) -> None:
    import uuid as _uuid

    from vipdesk.outbox.ops import Op
    desk = make_desk("a", seed_tiers=True)
    member_id = new_member(desk, "M1")
    log_visit(desk, member_id, "good")
    with desk.connect() as conn:
        ops = [op for _, op in read_batch(conn, 1000)]
    visit = next(op for op in ops if op.table_name == "visits")
    row = dict(visit.payload["row"], id=str(bad_id := _uuid.uuid4()))
    if poison == "bad time":
        row["checked_in_at"] = "not a time"
    else:
        row["member_id"] = str(_uuid.uuid4())
    bad = Op(_uuid.uuid4(), "insert", "visits", bad_id, {"row": row}, visit.hlc)
    result = centre.push("SH01", [*ops[:-1], bad, ops[-1]])
    outcomes = {a.op_id: a.outcome.value for a in result.acks}
    assert outcomes.pop(bad.op_id) == "rejected"
    assert set(outcomes.values()) == {"applied"}
    assert count(centre.engine, Visit) == 1


def test_a_push_reads_ahead_in_commit_order_and_resends_what_was_not_acked(make_desk) -> None:
    """The next batch is read while the centre decides one; if an op came back without
    an answer, the push goes back to the oldest op instead of skipping past it."""
    from vipdesk.outbox.ops import Ack, Outcome, PushResult
    from vipdesk.sync.push import push_all

    desk = make_desk("a")
    for n in range(7):
        new_member(desk, f"M{n}")
    with desk.connect() as conn:
        expected = [op.op_id for _, op in read_batch(conn, 1000)]

    class ForgetfulCentre:
        """Acks every op but leaves the first batch's last op unanswered once."""

        def __init__(self) -> None:
            self.sent: list[object] = []
            self.dropped = False

        def push(self, store: str, ops: list) -> PushResult:  # type: ignore[type-arg]
            self.sent.extend(op.op_id for op in ops)
            answered = ops if self.dropped else ops[:-1]
            self.dropped = True
            return PushResult([Ack(op.op_id, Outcome.APPLIED, "") for op in answered], 0)

    centre = ForgetfulCentre()
    push_all(desk, centre, "SH01", batch_size=4)  # type: ignore[arg-type]
    assert outbox_size(desk) == 0
    unanswered = expected[3]
    assert centre.sent.count(unanswered) == 2  # sent again ...
    assert centre.sent[:4] == expected[:4] and centre.sent[4] == unanswered  # ... first
    assert [i for i in centre.sent if i != unanswered] == [
        i for i in expected if i != unanswered]  # everything else once, in order


def test_the_batch_before_is_forgotten_when_the_next_push_fails(make_desk) -> None:
    """The desk forgets an acked batch on its own thread while the next one travels: a
    failure of that next push still leaves the batch before forgotten and the rest kept."""
    from vipdesk.outbox.ops import Ack, Outcome, PushResult
    from vipdesk.sync.central import CentreUnavailable
    from vipdesk.sync.push import push_all

    desk = make_desk("a")
    for n in range(5):
        new_member(desk, f"M{n}")
    with desk.connect() as conn:
        ops = [op for _, op in read_batch(conn, 1000)]

    class FailsSecond:
        calls = 0

        def push(self, store: str, batch: list) -> PushResult:  # type: ignore[type-arg]
            self.calls += 1
            if self.calls == 2:
                raise CentreUnavailable("the line went down")
            return PushResult([Ack(op.op_id, Outcome.APPLIED, "") for op in batch], 0)

    with pytest.raises(CentreUnavailable):
        push_all(desk, FailsSecond(), "SH01", batch_size=4)  # type: ignore[arg-type]
    with desk.connect() as conn:
        kept = [op.op_id for _, op in read_batch(conn, 1000)]
    assert kept == [op.op_id for op in ops[4:]]


def test_an_error_forgetting_a_batch_stops_the_push(make_desk, monkeypatch) -> None:
    """Forgetting happens off the pushing thread, but its failure is not swallowed."""
    from vipdesk.outbox.ops import Ack, Outcome, PushResult
    from vipdesk.sync import push

    desk = make_desk("a")
    for n in range(5):
        new_member(desk, f"M{n}")
    before = outbox_size(desk)

    def disk_full(*_args: object) -> bool:
        raise OSError("disk full")

    monkeypatch.setattr(push, "_forget_acked", disk_full)

    class AcksAll:
        def push(self, store: str, batch: list) -> PushResult:  # type: ignore[type-arg]
            return PushResult([Ack(op.op_id, Outcome.APPLIED, "") for op in batch], 0)

    with pytest.raises(OSError, match="disk full"):
        push.push_all(desk, AcksAll(), "SH01", batch_size=4)  # type: ignore[arg-type]
    assert outbox_size(desk) == before  # sent, not forgotten: the next push repeats them
