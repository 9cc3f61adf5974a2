"""Manager reports: the numbers from known data, CSV and PDF export, permissions."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.db import unit_of_work
from vipdesk.models import (
    CareContact,
    Complaint,
    ComplaintEvent,
    Survey,
    SurveyAnswer,
    TierChange,
    Visit,
)
from vipdesk.services.auth import Actor, PermissionDenied
from vipdesk.services.carelist import CareListService
from vipdesk.services.clock import FixedClock
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.queue import QueueService
from vipdesk.services.reports import Report, ReportError, ReportService, to_csv
from vipdesk.services.tiers import load_tier_table

DAY = date(2026, 11, 25)
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 Shanghai
MANAGER = Actor(None, "manager", "经理")


@pytest.fixture
def lounge(factory: sessionmaker[Session]) -> tuple[ReportService, FixedClock]:
    clock = FixedClock(T0)
    with factory() as s:
        tiers = load_tier_table(s)
    queue = QueueService(tiers, clock)
    ids = []
    with unit_of_work(factory) as s:
        for i, (tier, bday) in enumerate([("black", date(1980, 11, 28)), ("senior", None),
                                          ("senior", None), (None, None)]):
            ids.append(add_member(s, NewMember(member_no=f"R{i}", name_zh="周杰",
                                               tier_code=tier, birthday=bday)).id)
        s.add(Visit(member_id=ids[0], checked_in_at=T0))
        s.add(Visit(member_id=ids[1], checked_in_at=T0 - timedelta(days=1)))
        s.add(TierChange(member_id=ids[1], from_tier=None, to_tier="senior", kind="auto",
                         created_at=T0 - timedelta(days=2)))
        s.add(TierChange(member_id=ids[2], from_tier="diamond", to_tier="senior", kind="auto",
                         created_at=T0 - timedelta(days=3)))
        survey = Survey(member_id=ids[0], questionnaire="lounge", taken_at=T0)
        s.add(survey)
        s.flush()
        for q, a in (("service", "very_satisfied"), ("drinks", "neutral"),
                     ("drinks", "satisfied"), ("drinks", "no_rating")):
            s.add(SurveyAnswer(survey_id=survey.id, question=q, answer=a))
        c = Complaint(member_id=ids[3], received_at=T0 - timedelta(hours=5), description="慢",
                      category="wait_time", severity="minor", state="contacted")
        s.add(c)
        s.flush()
        s.add(ComplaintEvent(complaint_id=c.id, to_state="received", at=c.received_at))
        s.add(ComplaintEvent(complaint_id=c.id, to_state="contacted",
                             at=c.received_at + timedelta(minutes=20)))
    with unit_of_work(factory) as s:
        first = queue.add(s, MANAGER, ids[1], "advisor").id   # senior, waits 12
        queue.add(s, MANAGER, ids[2], "pickup")               # senior, waits 20 (left)
    clock.advance(minutes=12)
    with unit_of_work(factory) as s:
        queue.served(s, MANAGER, first)
    clock.advance(minutes=8)
    with unit_of_work(factory) as s:
        queue.left(s, MANAGER, queue.board(s)[0].entry_id)
    with unit_of_work(factory) as s:  # one birthday task, done the same day
        care = CareListService(tiers, clock).build(s, MANAGER, DAY)
        task = next(i for i in care.items if i.kind == "birthday")
        s.add(CareContact(member_id=ids[0], kind="birthday", channel="phone", at=clock.now(),
                          task_key=task.task_key))
    return ReportService(factory, tiers, clock), clock


def table(report: Report, index: int = 0) -> dict[str, tuple[object, ...]]:
    return {str(row[0]): row[1:] for row in report.tables[index].rows}


def test_lounge_counts_visits_and_waits_by_tier(lounge: tuple[ReportService, FixedClock]
                                                ) -> None:
    report = lounge[0].build(MANAGER, "lounge", DAY)
    summary = table(report)
    assert summary["到店 visits"] == (1,)
    assert summary["排队 queued"] == (2,) and summary["已接待 served"] == (1,)
    waits = table(report, 1)
    # two seniors: 12 and 20 minutes (target 15): mean 16, one within target
    assert waits["高级会员"] == (2, 16.0, 20.0, 20.0, 15, "50%")


def test_complaint_kpis(lounge: tuple[ReportService, FixedClock]) -> None:
    rows = table(lounge[0].build(MANAGER, "complaints", DAY, days=7))
    assert rows["收到 received"][0] == 1
    assert rows["30分钟内联系 contacted within 30 min"] == ("1/1", "100%")


def test_care_completion(lounge: tuple[ReportService, FixedClock]) -> None:
    rows = table(lounge[0].build(MANAGER, "care", DAY, days=1))
    assert rows["birthday"] == (1, 1, 1, 0, "100%")


def test_tier_distribution_and_movements(lounge: tuple[ReportService, FixedClock]) -> None:
    report = lounge[0].build(MANAGER, "tiers", DAY, days=7)
    assert table(report)["高级会员"] == (2,) and table(report)["黑卡会员"] == (1,)
    moves = {(r[0], r[1]): r[2:] for r in report.tables[1].rows}
    assert moves[("会员 (无等级)", "高级会员")] == ("upgrade", 1)
    assert moves[("钻石会员", "高级会员")] == ("downgrade", 1)


def test_satisfaction_by_question(lounge: tuple[ReportService, FixedClock]) -> None:
    rows = table(lounge[0].build(MANAGER, "satisfaction", DAY))
    # drinks: satisfied + neutral rated, one no rating → 50% satisfied
    assert rows["drinks"][-1] == 50.0 and rows["drinks"][-2] == 1
    assert rows["service"][-1] == 100.0


def test_bad_name_and_permission(lounge: tuple[ReportService, FixedClock]) -> None:
    with pytest.raises(ReportError, match="lounge, complaints"):
        lounge[0].build(MANAGER, "sales", DAY)
    with pytest.raises(PermissionDenied):
        lounge[0].build(Actor(None, "staff", "前台"), "lounge", DAY)


def test_csv_export_reads_back(lounge: tuple[ReportService, FixedClock], tmp_path: Path
                               ) -> None:
    out = tmp_path / "lounge.csv"
    to_csv(lounge[0].build(MANAGER, "lounge", DAY), out)
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["今日贵宾室 Today's lounge", "2026-11-25"]
    assert ["高级会员", "2", "16.0", "20.0", "20.0", "15", "50%"] in rows
    assert not list(tmp_path.glob(".*tmp"))


def test_export_to_a_missing_folder_is_refused(lounge: tuple[ReportService, FixedClock],
                                               tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="does not exist"):
        to_csv(lounge[0].build(MANAGER, "lounge", DAY), tmp_path / "nope" / "x.csv")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_has_embedded_cjk_font_and_text(lounge: tuple[ReportService, FixedClock],
                                            tmp_path: Path) -> None:
    from vipdesk.printing.report_pdf import to_pdf

    out = tmp_path / "tiers.pdf"
    to_pdf(lounge[0].build(MANAGER, "tiers", DAY, days=7), out)
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    assert "yes" in fonts.splitlines()[-1].split()  # emb column
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "会员等级" in text and "高级会员" in text and "黑卡会员" in text
