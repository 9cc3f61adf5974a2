"""What tells the hits of a search apart (in the lounge now, last visit, birth year): one
grouped statement for the whole page, on indexes, and the lounge board per store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from vipdesk.db import session_factory
from vipdesk.models import Member, Staff
from vipdesk.services.auth import NOBODY, Actor, PermissionDenied
from vipdesk.services.clock import FixedClock
from vipdesk.services.visits import VisitService

NOW = datetime(2026, 11, 25, 7, 20, tzinfo=UTC)  # 15:20 in Shanghai


def manager(engine: Engine) -> Actor:
    with Session(engine) as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == "S001")).one()
        return Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)


def first_members(engine: Engine, n: int) -> list:  # type: ignore[type-arg]
    with Session(engine) as s:
        return list(s.scalars(select(Member.id).order_by(Member.member_no).limit(n)))


def test_one_statement_for_a_page_of_fifty(demo_copy: Engine) -> None:
    visits = VisitService(session_factory(demo_copy), FixedClock(NOW))
    actor, ids = manager(demo_copy), first_members(demo_copy, 50)
    visits.check_in(actor, ids[0])
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(demo_copy, "before_cursor_execute", count)
    try:
        facts = visits.tell_apart(actor, ids)
    finally:
        event.remove(demo_copy, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert set(facts) == set(ids)
    assert facts[ids[0]].here_since == NOW
    assert facts[ids[0]].last_visit is not None and facts[ids[0]].last_visit.isoformat() \
        == "2026-11-25"
    assert all(f.here_since is None for k, f in facts.items() if k != ids[0])


def test_the_statement_uses_the_member_time_index(demo_copy: Engine) -> None:
    visits = VisitService(session_factory(demo_copy), FixedClock(NOW))
    plans: list[str] = []

    def explain(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, params)
            plans.extend(str(r[3]) for r in rows)

    event.listen(demo_copy, "before_cursor_execute", explain)
    try:
        visits.tell_apart(manager(demo_copy), first_members(demo_copy, 50))
    finally:
        event.remove(demo_copy, "before_cursor_execute", explain)
    assert any("ix_visits_member_time" in p for p in plans), plans
    assert not [p for p in plans if p.startswith("SCAN visits")], plans


def test_a_visit_closed_or_from_yesterday_is_not_here(demo_copy: Engine) -> None:
    factory = session_factory(demo_copy)
    actor, (member,) = manager(demo_copy), first_members(demo_copy, 1)
    VisitService(factory, FixedClock(NOW - timedelta(days=1))).check_in(actor, member)
    visits = VisitService(factory, FixedClock(NOW))
    assert visits.tell_apart(actor, [member])[member].here_since is None
    assert visits.in_lounge_since(actor, member) is None
    visits.check_in(actor, member)
    assert visits.in_lounge_since(actor, member) == NOW
    visits.check_out(actor, member)
    assert visits.tell_apart(actor, [member])[member].here_since is None


def test_the_board_and_the_facts_need_someone_signed_in(demo_copy: Engine) -> None:
    visits = VisitService(session_factory(demo_copy), FixedClock(NOW))
    with pytest.raises(PermissionDenied):
        visits.here_now(NOBODY, "SH01")
    with pytest.raises(PermissionDenied):
        visits.tell_apart(NOBODY, first_members(demo_copy, 1))


def test_here_now_lists_this_stores_guests(demo_copy: Engine) -> None:
    visits = VisitService(session_factory(demo_copy), FixedClock(NOW))
    actor, (member,) = manager(demo_copy), first_members(demo_copy, 1)
    visits.check_in(actor, member)
    assert [g.member_id for g in visits.here_now(actor, "SH01")] == [member]
    assert [g.member_id for g in visits.here_now(actor, "NOPE")] == [member]  # every store
