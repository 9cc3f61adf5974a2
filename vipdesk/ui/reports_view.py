"""Manager reports (报表): pick a report and a period, read its tables and bar charts,
export to CSV or PDF. The numbers, the CSV and the PDF all come from
`vipdesk.services.reports`; this page only lays them out. QtCharts is not available, so
`BarChart` paints its bars with QPainter.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from vipdesk.desk import Desk
from vipdesk.services.reports import NAMES, Report, Table, Words
from vipdesk.ui import live
from vipdesk.ui.i18n import current, t
from vipdesk.ui.live import on_change
from vipdesk.ui.ops import Ops

Index = QModelIndex | QPersistentModelIndex
REPORT_TEXT = {"lounge": "Today's lounge", "complaints": "Complaints", "care": "Care list",
               "tiers": "Tiers", "satisfaction": "Satisfaction"}
PERIODS = ((7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days"),
           (365, "Last 12 months"))
GOLD, INK, GRID = QColor("#8c6d46"), QColor("#333333"), QColor("#dddddd")
MAX_BARS = 24
ONE_DAY_REPORTS = {"lounge"}  # today's, whatever the period
NUMBER_COLUMN_MIN = 120  # pixels: a count and its header read at a glance, side by side


def shown(value: Any) -> str:
    """A report's label in the desk's language (the service gives both); numbers and
    data as they are."""
    if isinstance(value, Words):  # alone, an English label starts with a capital
        return value.zh if current() == "zh" else value.en[:1].upper() + value.en[1:]
    return "" if value is None else str(value)


class TableModel(QAbstractTableModel):
    """A report `Table` as it came from the service, its labels in the desk's language."""

    def __init__(self, table: Table, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.table.columns)):
            return shown(self.table.columns[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.table.rows):
            return None
        row = self.table.rows[index.row()]
        if not 0 <= index.column() < len(row):
            return None
        value = row[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return shown(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and is_figure(value):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


FIGURE = re.compile(r"[\d.,]+(%|/[\d.,]+)?")  # 12, 1,250, 88%, 7/8


def is_figure(value: Any) -> bool:
    """Numbers, rates and shares ("88%", "7/8") line up on the right like numbers."""
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and FIGURE.fullmatch(value.strip()) is not None


def chart_points(table: Table) -> list[tuple[str, float]]:
    """(label, value) for the table's chart; cells that are not numbers are skipped."""
    if table.chart is None:
        return []
    label_col, value_col = table.chart
    points: list[tuple[str, float]] = []
    for row in table.rows[:MAX_BARS]:
        value = row[value_col] if value_col < len(row) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            points.append((shown(row[label_col]), float(value)))
    return points


class BarChart(QWidget):
    """Vertical bars with their value on top and the label underneath."""

    def __init__(self, title: str, points: list[tuple[str, float]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.points = title, points
        self.setMinimumHeight(200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.points:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        line = p.fontMetrics().height()
        left, top = 12.0, float(line + 8)
        width, bottom = self.width() - 24.0, self.height() - line - 8.0
        p.setPen(GRID)
        p.drawLine(int(left), int(bottom), int(left + width), int(bottom))
        top_value = max((v for _, v in self.points), default=0.0) or 1.0
        slot = width / len(self.points)
        for i, (label, value) in enumerate(self.points):
            x = left + i * slot
            height = max((bottom - top - line) * value / top_value, 0.0)
            bar = QRectF(x + slot * 0.2, bottom - height, slot * 0.6, height)
            p.fillRect(bar, GOLD)
            p.setPen(INK)
            number = f"{value:g}" if value != int(value) else f"{int(value):,}"
            p.drawText(QRectF(x, bar.top() - line - 2, slot, line),
                       Qt.AlignmentFlag.AlignCenter, number)
            p.drawText(QRectF(x, bottom + 4, slot, line), Qt.AlignmentFlag.AlignCenter,
                       p.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight,
                                                  int(slot)))
        p.end()


class ReportsPage(QWidget):
    sig_message = Signal(str)
    sig_exported = Signal(object)  # Path

    def __init__(self, desk: Desk, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.ops = desk, ops
        self.report: Report | None = None
        self._asked = 0  # requests made; each answer carries its number
        self.table_views: list[QTableView] = []
        self._build()
        self.retranslate()
        on_change(ops, self, live.REPORTS,
                  lambda _changes: self.load() if self.isVisible() else None)

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        self.names, self.periods = QComboBox(), QComboBox()
        for name in NAMES:
            self.names.addItem("", name)
        for days, _ in PERIODS:
            self.periods.addItem("", days)
        self.periods.setCurrentIndex(1)
        for box in (self.names, self.periods):  # Ctrl+L: English needs a wider box
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.show_button = QPushButton()
        self.show_button.setObjectName("primary")
        self.csv_button, self.pdf_button = QPushButton(), QPushButton()
        self.show_button.clicked.connect(self.load)
        self.names.currentIndexChanged.connect(lambda _: self.load())
        self.periods.currentIndexChanged.connect(lambda _: self.load())
        self.csv_button.clicked.connect(lambda: self.ask_export(".csv"))
        self.pdf_button.clicked.connect(lambda: self.ask_export(".pdf"))
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addWidget(self.names)
        bar.addWidget(self.periods)
        bar.addWidget(self.show_button)
        bar.addStretch(1)
        bar.addWidget(self.csv_button)
        bar.addWidget(self.pdf_button)
        self.heading = QLabel()
        self.heading.setObjectName("reportHeading")
        heading_font = QFont(self.heading.font())
        heading_font.setPointSize(heading_font.pointSize() + 4)
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.heading)
        layout.addWidget(scroll, 1)

    def load(self) -> None:
        name, days = str(self.names.currentData()), int(self.periods.currentData())
        self.periods.setEnabled(name not in ONE_DAY_REPORTS)  # a period would change nothing
        desk = self.desk
        # Reports build on a pool of readers: a quick second choice can finish first,
        # so only the answer to the latest request is shown.
        self._asked += 1
        asked = self._asked
        self.ops.query(lambda: (asked, desk.reports.build(name, days)), self._answered)

    def _answered(self, answer: tuple[int, Report]) -> None:
        asked, report = answer
        if asked == self._asked:
            self.show_report(report)

    def show_report(self, report: Report) -> None:
        self.report = report
        while self.body_layout.count():
            item = self.body_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.table_views = []
        self.heading.setText(f"{shown(report.title)}    {report.period}")
        for table in report.tables:
            self._add_table(table)
        self.body_layout.addStretch(1)

    def _add_table(self, table: Table) -> None:
        title = QLabel(shown(table.title))
        title.setObjectName("sectionTitle")
        self.body_layout.addWidget(title)
        if not table.rows:
            self.body_layout.addWidget(QLabel(t("Nothing in this period.")))
            return
        view = QTableView()
        view.setModel(TableModel(table, view))
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().hide()
        # As wide as its columns, not the page: a number stays beside its label (a
        # one-number table stretched over 1,300 pixels was read across the screen).
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(NUMBER_COLUMN_MIN)
        header.setStretchLastSection(False)
        view.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        view.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        # Tall enough for every row: the page scrolls, not each table.
        rows_height = view.verticalHeader().defaultSectionSize() * len(table.rows)
        view.setFixedHeight(rows_height + header.sizeHint().height() + 6)
        self.table_views.append(view)
        self.body_layout.addWidget(view, 0, Qt.AlignmentFlag.AlignLeft)
        points = chart_points(table)
        if points:
            self.body_layout.addWidget(BarChart(shown(table.title), points))

    def ask_export(self, suffix: str) -> None:
        if self.report is None:
            self.sig_message.emit(t("Show a report first."))
            return
        kind = t("CSV files (*.csv)") if suffix == ".csv" else t("PDF files (*.pdf)")
        default = str(Path.home() / f"{self.report.name}-{self.desk.today()}{suffix}")
        path, _ = QFileDialog.getSaveFileName(self, t("Export report"), default, kind)
        if path:
            self.export(Path(path) if Path(path).suffix else Path(path + suffix))

    def export(self, path: Path) -> None:
        """Write the shown report through the services, on the write lane."""
        report, desk = self.report, self.desk
        if report is None:
            return
        self.ops.mutate(lambda: desk.reports.export(report, path), self._exported)

    def _exported(self, path: Path) -> None:
        self.sig_message.emit(t("Saved %1").replace("%1", str(path)))
        self.sig_exported.emit(path)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.title.setText(t("Reports"))
        for i, name in enumerate(NAMES):
            self.names.setItemText(i, t(REPORT_TEXT.get(name, name)))
        for i, (_, label) in enumerate(PERIODS):
            self.periods.setItemText(i, t(label))
        self.show_button.setText(t("Show"))
        self.csv_button.setText(t("Export CSV"))
        self.pdf_button.setText(t("Export PDF"))
        if self.report is not None:  # Ctrl+L: the shown report changes language too
            self.show_report(self.report)
