"""The reports page: a report's tables in views with painted bar charts, and the CSV /
PDF export through the services (the CSV keeps the Chinese headers)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import select

from vipdesk.desk import Desk
from vipdesk.models import Member
from vipdesk.services.reports import Table
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.reports_view import BarChart, ReportsPage, chart_points, shown

NOW = datetime(2026, 11, 25, 7, 20, tzinfo=UTC)  # 15:20 in Shanghai


def show_report(qtbot: Any, win: MainWindow, name: str) -> ReportsPage:
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.keyClick(win, Qt.Key.Key_F4)
    page = win.manager.reports
    qtbot.waitUntil(lambda: page.isVisible() and page.report is not None)
    if page.report is not None and page.report.name != name:
        page.names.setCurrentIndex(page.names.findData(name))
        qtbot.waitUntil(lambda: page.report is not None and page.report.name == name)
    return page


def test_lounge_report_shows_the_queue(qtbot: Any, qtmodeltester: Any, win: MainWindow,
                                       mgr_desk: Desk) -> None:
    with mgr_desk.factory() as s:
        ids = list(s.scalars(select(Member.id).order_by(Member.member_no).limit(3)))
    for member_id in ids:
        mgr_desk.queue.add(member_id, "advisor", appointment=False)
    mgr_desk.queue.call_next()
    page = show_report(qtbot, win, "lounge")
    report = page.report
    assert report is not None and page.table_views
    assert len(page.table_views) == sum(1 for table in report.tables if table.rows)
    for view in page.table_views:
        qtmodeltester.check(view.model())
    cells = [view.model().index(r, c).data() for view in page.table_views
             for r in range(view.model().rowCount()) for c in range(view.model().columnCount())]
    assert "3" in cells  # three guests queued today
    assert page.heading.text().startswith(shown(report.title)) and "Today" not in shown(
        report.title)  # one language: the Chinese desk's heading has no English in it


def test_exports_csv_with_chinese_headers_and_pdf(qtbot: Any, win: MainWindow,
                                                  tmp_path: Path) -> None:
    page = show_report(qtbot, win, "tiers")
    report = page.report
    assert report is not None
    charts = page.body.findChildren(BarChart)
    assert len(charts) == sum(1 for t in report.tables if chart_points(t))
    exported: list[Path] = []
    page.sig_exported.connect(exported.append)
    page.export(tmp_path / "tiers.csv")
    qtbot.waitUntil(lambda: len(exported) == 1)
    text = (tmp_path / "tiers.csv").read_text(encoding="utf-8-sig")
    header = ",".join(report.tables[0].columns)
    assert header in text and any("\u4e00" <= ch <= "\u9fff" for ch in header)
    page.export(tmp_path / "tiers.pdf")
    qtbot.waitUntil(lambda: len(exported) == 2)
    assert (tmp_path / "tiers.pdf").read_bytes().startswith(b"%PDF")
    assert win.status_message.text().startswith("已保存")


def test_bad_export_path_leaves_nothing(qtbot: Any, win: MainWindow, tmp_path: Path) -> None:
    page = show_report(qtbot, win, "complaints")
    page.export(tmp_path / "complaints.xlsx")
    qtbot.waitUntil(lambda: ".csv 或 .pdf" in win.status_message.text())
    page.export(tmp_path / "missing" / "complaints.csv")
    qtbot.waitUntil(lambda: "不存在" in win.status_message.text())
    assert [p.name for p in tmp_path.rglob("*complaints*")] == []


def test_chart_points_skip_cells_that_are_not_numbers() -> None:
    table = Table("t", ("名称", "数量"), [("甲", 3), ("乙", None), ("丙", 1.5), ("丁", True)],
                  chart=(0, 1))
    assert chart_points(table) == [("甲", 3.0), ("丙", 1.5)]
    assert chart_points(Table("t", ("a",), [("x",)])) == []


def test_only_the_latest_request_is_shown(qtbot: Any, win: MainWindow) -> None:
    """Reports build on a pool of readers: an earlier choice that finishes last must not
    replace the report the manager chose after it."""
    page = show_report(qtbot, win, "lounge")
    lounge = page.report
    assert lounge is not None
    page.names.setCurrentIndex(page.names.findData("tiers"))  # asks again
    qtbot.waitUntil(lambda: page.report is not None and page.report.name == "tiers")
    tiers = page.report
    page._answered((page._asked - 1, lounge))  # the earlier answer arrives late
    assert page.report is tiers
    assert page.heading.text().startswith(shown(tiers.title))


def test_a_number_stays_beside_its_label(qtbot: Any, win: MainWindow) -> None:
    """A table is as wide as its columns, not the page: the tier counts sit next to the
    tier names instead of 1,300 pixels to their right."""
    win.resize(1366, 768)
    page = show_report(qtbot, win, "tiers")
    view = page.table_views[0]
    header = view.horizontalHeader()
    qtbot.waitUntil(lambda: view.isVisible() and header.length() > 0)
    assert view.width() <= header.length() + 2 * view.frameWidth() + 2
    assert view.width() < page.width() / 2
    assert all(header.sectionSize(c) >= 120 for c in range(1, header.count()))


def test_the_period_is_offered_only_where_it_counts(qtbot: Any, win: MainWindow) -> None:
    page = show_report(qtbot, win, "lounge")
    assert not page.periods.isEnabled()  # today's lounge is today's, whatever the period
    page = show_report(qtbot, win, "complaints")
    assert page.periods.isEnabled()


def test_rates_and_shares_line_up_like_numbers() -> None:
    from vipdesk.ui.reports_view import is_figure

    assert all(is_figure(v) for v in (12, 0.5, "88%", "7/8", "1,250", " 100% "))
    assert not any(is_figure(v) for v in ("", "Received", "黑卡会员", "7/8 days", None))
