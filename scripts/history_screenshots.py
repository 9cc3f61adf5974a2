"""Render the history forms offscreen for the docs: `python scripts/history_screenshots.py`.

Builds a small demo lounge in a temporary directory (never touches a real database),
records a check-in, a complaint with a first step and a home visit for one member as the
manager S001, and saves:

  docs/img/timeline-zh.png        the member card with the new records newest first
  docs/img/complaint-zh.png       the complaint form, one field refused as typed
  docs/img/complaints-zh.png      the member's open complaints with their live clocks
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.db import open_desk_db
from vipdesk.models import Member, Preference, Staff
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
from vipdesk.services.complaints import ComplaintDraft, StepDraft
from vipdesk.services.demo import build_demo
from vipdesk.services.desk import Desk
from vipdesk.services.homevisits import FollowUpDraft, HomeVisitDraft
from vipdesk.ui import i18n, theme
from vipdesk.ui.history_forms import ComplaintDialog, ComplaintsDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"
NOW = datetime(2026, 11, 25, 7, 20, tzinfo=UTC)  # 15:20 in Shanghai


def wait(app: QApplication, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        app.processEvents()
        time.sleep(0.01)
    end = time.monotonic() + 0.3  # let layouts settle
    while time.monotonic() < end:
        app.processEvents()


def prepare(db: Path) -> tuple[Desk, str]:
    engine = open_desk_db(db)
    build_demo(engine, members=300, seed=7, today=date(2026, 11, 25))
    with Session(engine) as s:
        staff = s.scalar(select(Staff).where(Staff.staff_no == "S001"))
        assert staff is not None
        actor = Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)
        member_no = s.scalars(select(Member.member_no).join(
            Preference, Preference.member_id == Member.id).where(Preference.tag == "drink")
            .order_by(Member.member_no)).first()
    assert member_no is not None
    clock = FixedClock(NOW)
    desk = Desk(engine, clock=clock, actor=actor)
    member_id = desk.search(member_no).hits[0].member_id
    desk.log_home_visit(member_id, HomeVisitDraft(
        date(2026, 11, 22), gift="明前龙井", notes="与太太一同接待，谈及春季去京都旅行",
        satisfaction="very_satisfied",
        follow_ups=[FollowUpDraft(date(2026, 12, 1), "寄送春季新款目录")]))
    desk.check_in(member_id, "取货", None)
    old = desk.open_complaint(member_id, ComplaintDraft(
        "delivery", "severe", "定制西装交付延误两周", place="电话", impact="错过婚礼试穿"))
    desk.advance_complaint(old.complaint_id, StepDraft("contacted", "已致电致歉"))
    desk.open_complaint(member_id, ComplaintDraft(
        "wait_time", "minor", "取货等候超过40分钟", place="贵宾室"))
    return desk, member_no


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
        desk, member_no = prepare(Path(tmp) / "demo.db")
        ops = Ops()
        window = MainWindow(desk, ops, i18n.install("zh"))
        window.resize(1360, 860)
        window.show()
        window.scan(member_no)
        wait(app, lambda: window.card.profile is not None)
        grab(app, window, "timeline-zh.png")
        form = window.history_forms.open(ComplaintDialog)
        assert isinstance(form, ComplaintDialog)
        form.category.setCurrentIndex(form.category.findData("after_sales"))
        form.severity.setCurrentIndex(form.severity.findData("minor"))
        form.place.setText("贵宾室")
        form.description.setPlainText("x")
        form.description.setPlainText("")  # touched and emptied: "required" shows
        grab(app, form, "complaint-zh.png")
        form.reject()
        panel = window.history_forms.open(ComplaintsDialog)
        assert isinstance(panel, ComplaintsDialog)
        wait(app, lambda: bool(panel.views))
        grab(app, panel, "complaints-zh.png")
        ops.shutdown()
        desk.engine.dispose()


if __name__ == "__main__":
    main()
