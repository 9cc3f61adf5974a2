"""Render the history forms offscreen for the docs: `python scripts/history_screenshots.py`.

Builds a small demo lounge in a temporary directory (never touches a real database),
records a check-in, a complaint with a first step and a home visit for one member as the
manager S001, and saves:

  docs/img/timeline-zh.png        the member card with the new records newest first
  docs/img/complaint-zh.png       the complaint form, one field refused as typed
  docs/img/complaints-zh.png      the member's open complaints with their live clocks
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from screenshot_common import NOW, demo_lounge, desk_window, grab, guest_no, wait

from vipdesk.desk import Desk
from vipdesk.services.clock import FixedClock
from vipdesk.services.complaints import ComplaintDraft, StepDraft
from vipdesk.services.homevisits import FollowUpDraft, HomeVisitDraft
from vipdesk.ui.complaint_steps import ComplaintsDialog
from vipdesk.ui.history_forms import ComplaintDialog


def prepare(db: Path) -> Desk:
    engine, actor = demo_lounge(db, members=300)
    clock = FixedClock(NOW)
    desk = Desk(engine, clock=clock, actor=actor)
    member_id = desk.members.search(guest_no(engine)).hits[0].member_id
    desk.home_visits.log(member_id, HomeVisitDraft(
        date(2026, 11, 22), gift="明前龙井", notes="与太太一同接待，谈及春季去京都旅行",
        satisfaction="very_satisfied",
        follow_ups=[FollowUpDraft(date(2026, 12, 1), "寄送春季新款目录")]))
    desk.visits.check_in(member_id, "取货", None)
    old = desk.complaints.open(member_id, ComplaintDraft(
        "delivery", "severe", "定制西装交付延误两周", place="电话", impact="错过婚礼试穿"))
    desk.complaints.advance(old.complaint_id, StepDraft("contacted", "已致电致歉"))
    desk.complaints.open(member_id, ComplaintDraft(
        "wait_time", "minor", "取货等候超过40分钟", place="贵宾室"))
    return desk


def main() -> None:
    with desk_window(prepare) as (app, window):
        window.scan(guest_no(window.desk.engine))
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


if __name__ == "__main__":
    main()
