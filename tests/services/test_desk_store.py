"""What happens at a lounge belongs to the lounge's store, whoever is signed in: a
Shanghai manager covering the Beijing desk checks a guest in, queues them and takes a
complaint — all Beijing's (the central service accepts a desk's own store only)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.db import open_desk_db
from vipdesk.desk.desk import Desk
from vipdesk.models import Complaint, QueueEntry, Staff, Store, Visit
from vipdesk.services.auth import SYSTEM, Actor
from vipdesk.services.complaints import ComplaintDraft
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.staff import add_staff
from vipdesk.services.tiers import seed_default_tiers


def test_a_visitor_from_another_store_records_for_the_desks_store(tmp_path: Path) -> None:
    engine = open_desk_db(tmp_path / "bj.db")
    with Session(engine) as s, s.begin():
        seed_default_tiers(s)
        s.add_all([Store(code="SH01", name="上海"), Store(code="BJ01", name="北京")])
        s.flush()
        add_staff(s, SYSTEM, "M100", "陈经理", "manager", "135791", store_code="SH01")
        member = add_member(s, NewMember(member_no="M1", name_zh="王芳",
                                         phones=["13800138000"]))
        member_id = member.id
    with Session(engine) as s:
        manager = s.scalar(select(Staff).where(Staff.staff_no == "M100"))
        assert manager is not None
        shanghai, beijing = (s.scalar(select(Store.id).where(Store.code == c))
                             for c in ("SH01", "BJ01"))
        visiting = Actor(manager.id, manager.role, manager.name, manager.store_id,
                         manager.staff_no)
    assert visiting.store_id == shanghai

    desk = Desk(engine, store_code="BJ01", actor=visiting)
    desk.visits.check_in(member_id, "browse", None)
    entry = desk.queue.add(member_id, "advisor", appointment=False)
    desk.complaints.open(member_id, ComplaintDraft(
        category="wait_time", severity="minor", description="等候太久"))

    with Session(engine) as s:
        assert s.scalar(select(Visit.store_id)) == beijing
        assert s.scalar(select(QueueEntry.store_id).where(QueueEntry.id == entry)) == beijing
        assert s.scalar(select(Complaint.store_id)) == beijing
    assert [row.member_id for row in desk.queue.board()] == [member_id]
    engine.dispose()
