"""Render the manager's desk offscreen for the docs: `python scripts/manager_screenshots.py`.

Builds a small demo lounge in a temporary directory (never touches a real database),
queues a few guests at staggered times as the manager S001 (so some rows are over their
tier's target), calls one, and saves:

  docs/img/queue-zh.png         the queue board
  docs/img/queue-large-zh.png   the same board in large type (readable across the lounge)
  docs/img/care-zh.png          today's care list, with yesterday's undone tasks overdue
  docs/img/reports-zh.png       the tier report with its bar chart
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from screenshot_common import NOW, demo_lounge, desk_window, grab, wait
from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.desk import Desk
from vipdesk.models import Member
from vipdesk.services.clock import FixedClock

YESTERDAY = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
ARRIVALS = ((0, "advisor", False), (4, "fitting_room", True), (9, "pickup", False),
            (12, "repair", False), (16, "advisor", True), (19, "pickup", False),
            (22, "other", False), (25, "fitting_room", False))
TIMEOUT = 20.0  # seconds each page may take to load


def prepare(db: Path) -> Desk:
    engine, actor = demo_lounge(db, members=600)
    with Session(engine) as s:
        # A mix of tiers makes the board's order (tier head start + waiting time) visible.
        ids = list(s.scalars(select(Member.id).where(Member.tier_code.is_not(None))
                             .order_by(Member.member_no).limit(5)))
        ids += list(s.scalars(select(Member.id).where(Member.tier_code.is_(None))
                              .order_by(Member.member_no).limit(3)))
    clock = FixedClock(YESTERDAY)
    desk = Desk(engine, clock=clock, actor=actor)
    desk.care.build_list()  # yesterday's list: what stays undone shows overdue today
    clock.at = NOW.replace(hour=6, minute=40)  # the first guest arrives at 14:40
    start = clock.now()
    for member_id, (minute, purpose, booked) in zip(ids, ARRIVALS, strict=False):
        clock.at = start + timedelta(minutes=minute)
        desk.queue.add(member_id, purpose, booked)
    clock.at = NOW.replace(minute=12)
    desk.queue.call_next()
    clock.at = NOW
    return desk


def main() -> None:
    with desk_window(prepare) as (app, window):
        pages = window.manager
        window.show_mode("queue")
        wait(app, lambda: pages.board.model.rowCount() > 0, TIMEOUT)
        grab(app, window, "queue-zh.png")
        pages.board.set_large(True)
        grab(app, window, "queue-large-zh.png")
        pages.board.set_large(False)
        window.show_mode("care")
        wait(app, lambda: pages.care.loaded is not None, TIMEOUT)
        grab(app, window, "care-zh.png")
        window.show_mode("reports")
        # The page loads its first report on showing: let that land before asking for
        # another, or it may land last and be the one shown.
        wait(app, lambda: pages.reports.report is not None, TIMEOUT)
        pages.reports.names.setCurrentIndex(pages.reports.names.findData("tiers"))
        wait(app, lambda: pages.reports.report is not None
             and pages.reports.report.name == "tiers", TIMEOUT)
        grab(app, window, "reports-zh.png")
        pages.board.stop()


if __name__ == "__main__":
    main()
