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

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.db import open_desk_db
from vipdesk.models import Member, Staff
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
from vipdesk.services.demo import build_demo
from vipdesk.services.desk import Desk
from vipdesk.ui import i18n, theme
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"
YESTERDAY = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 7, 20, tzinfo=UTC)  # 15:20 in Shanghai
ARRIVALS = ((0, "advisor", False), (4, "fitting_room", True), (9, "pickup", False),
            (12, "repair", False), (16, "advisor", True), (19, "pickup", False),
            (22, "other", False), (25, "fitting_room", False))


def wait(app: QApplication, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        app.processEvents()
        time.sleep(0.01)
    end = time.monotonic() + 0.3  # let layouts settle
    while time.monotonic() < end:
        app.processEvents()


def prepare(db: Path) -> Desk:
    engine = open_desk_db(db)
    build_demo(engine, members=600, seed=7, today=date(2026, 11, 25))
    with Session(engine) as s:
        staff = s.scalar(select(Staff).where(Staff.staff_no == "S001"))
        assert staff is not None
        actor = Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)
        # A mix of tiers makes the board's order (tier head start + waiting time) visible.
        ids = list(s.scalars(select(Member.id).where(Member.tier_code.is_not(None))
                             .order_by(Member.member_no).limit(5)))
        ids += list(s.scalars(select(Member.id).where(Member.tier_code.is_(None))
                              .order_by(Member.member_no).limit(3)))
    clock = FixedClock(YESTERDAY)
    desk = Desk(engine, clock=clock, actor=actor)
    desk.care_list()  # yesterday's list: what stays undone shows overdue today
    clock.at = NOW.replace(hour=6, minute=40)  # the first guest arrives at 14:40
    start = clock.now()
    for member_id, (minute, purpose, booked) in zip(ids, ARRIVALS, strict=False):
        clock.at = start + timedelta(minutes=minute)
        desk.queue_add(member_id, purpose, booked)
    clock.at = NOW.replace(minute=12)
    desk.queue_call_next()
    clock.at = NOW
    return desk


def grab(app: QApplication, widget: QWidget, name: str) -> None:
    widget.show()
    wait(app, lambda: False, 0.2)
    path = OUT / name
    if not widget.grab().save(str(path)):
        sys.exit(f"could not write {path}")
    print(path)


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    theme.apply(app)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        desk = prepare(Path(tmp) / "demo.db")
        ops = Ops()
        window = MainWindow(desk, ops, i18n.install("zh"))
        window.resize(1360, 860)
        window.show()
        pages = window.manager
        pages.show_mode("queue")
        wait(app, lambda: pages.board.model.rowCount() > 0)
        grab(app, window, "queue-zh.png")
        pages.board.set_large(True)
        grab(app, window, "queue-large-zh.png")
        pages.board.set_large(False)
        pages.show_mode("care")
        wait(app, lambda: pages.care.loaded is not None)
        grab(app, window, "care-zh.png")
        pages.show_mode("reports")
        pages.reports.names.setCurrentIndex(pages.reports.names.findData("tiers"))
        wait(app, lambda: pages.reports.report is not None
             and pages.reports.report.name == "tiers")
        grab(app, window, "reports-zh.png")
        pages.board.stop()
        ops.shutdown()
        desk.engine.dispose()


if __name__ == "__main__":
    main()
