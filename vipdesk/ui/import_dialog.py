"""导入会员… / Import members…: a CSV file previewed, then imported with a progress bar.

Nothing is written until 导入 / Import: the preview (`desk.members.import_preview`, a
read) shows the encoding assumed and why, how the columns were read and the first rows
as they will be stored, each with its problems. The import runs on the write lane; the
service calls back after each committed batch (on the worker), which this dialog turns
into a signal for the UI thread and answers with whether to go on: Cancel stops it
between batches, so only whole batches stay. Offered by role (`member.import`) through
the window's menu extension point; the service still refuses on its own.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vipdesk.ui.forms import ENTER_KEYS, ERROR_STYLE
from vipdesk.ui.i18n import t
from vipdesk.ui.import_words import FIELD_LABELS, evidence_text, file_problem, row_problem
from vipdesk.ui.names import tier_name

if TYPE_CHECKING:
    from vipdesk.desk import Desk
    from vipdesk.desk.members import ImportOutcome
    from vipdesk.services.importer import Preview, PreviewRow
    from vipdesk.ui.ops import Ops
    from vipdesk.ui.session_gate import SessionGate

NEEDS = "member.import"
PREVIEW_ROWS = 20
# (codec name or None for "detect", label); the labels are the encodings' own names.
ENCODINGS = ((None, ""), ("utf-8", "UTF-8"), ("gb18030", "GB18030"),
             ("big5hkscs", "Big5-HKSCS"), ("utf-16", "UTF-16"))
HEADERS = ("Line", "Member no.", "Name", "English name", "Phones", "Cards", "Birthday",
           "Gender", "Email", "12-month spend", "Tier", "Problems")
GENDERS = {"F": "Female", "M": "Male"}


class ImportDialog(QDialog):
    sig_progress = Signal(int)  # rows done; emitted on the write worker, shown here

    def __init__(self, desk: Desk, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(True)
        self.desk, self.ops = desk, ops
        self.preview: Preview | None = None
        self.previewed: tuple[str, str | None] | None = None  # what the preview shows
        self.running = False
        self.stop = threading.Event()
        self.outcome: ImportOutcome | None = None
        self.total = 0  # the file's lines, an estimate of its rows for the bar
        self._build()
        self.sig_progress.connect(self._progressed, Qt.ConnectionType.QueuedConnection)
        self.resize(1100, 620)  # fits 1366 × 768 with the window's frame and taskbar

    # -- layout -------------------------------------------------------------------------

    def _build(self) -> None:
        self.setWindowTitle(t("Import members"))
        self.path = QLineEdit()
        self.path.setPlaceholderText(t("The CSV file to import"))
        self.choose = QPushButton(t("Choose file…"))
        self.choose.clicked.connect(self.choose_file)
        self.encoding = QComboBox()
        for codec, label in ENCODINGS:
            self.encoding.addItem(label or t("Detect"), codec)
        self.encoding.currentIndexChanged.connect(lambda _i: self.load_preview())
        self.evidence, self.columns, self.problem = QLabel(), QLabel(), QLabel()
        for line in (self.evidence, self.columns, self.problem):
            line.setWordWrap(True)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.table = self._table()
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.import_button = QPushButton(t("Import"))
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button = QPushButton(t("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        for button in (self.choose, self.import_button, self.cancel_button):
            button.setAutoDefault(False)  # Enter is decided in keyPressEvent
        self._lay_out()
        self._fit_buttons()

    def _table(self) -> QTableWidget:
        table = QTableWidget(0, len(HEADERS))
        table.setHorizontalHeaderLabels([t(h) for h in HEADERS])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    def _lay_out(self) -> None:
        grid = QGridLayout()
        grid.addWidget(QLabel(t("File")), 0, 0)
        grid.addWidget(self.path, 0, 1)
        grid.addWidget(self.choose, 0, 2)
        grid.addWidget(QLabel(t("Encoding")), 1, 0)
        grid.addWidget(self.encoding, 1, 1, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        for widget in (self.evidence, self.columns, self.problem):
            layout.addWidget(widget)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.bar)
        layout.addLayout(buttons)

    # -- the file and its preview ---------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, t("Import members"), "",
                                              t("CSV files (*.csv *.txt);;All files (*)"))
        if path:
            self.set_path(path)

    def set_path(self, path: str) -> None:
        """The file to import (the file chooser's answer; tests set it directly)."""
        self.path.setText(path)
        self.encoding.blockSignals(True)  # a new file is detected afresh
        self.encoding.setCurrentIndex(0)
        self.encoding.blockSignals(False)
        self.load_preview()

    def wanted(self) -> tuple[str, str | None]:
        return self.path.text().strip(), self.encoding.currentData()

    def load_preview(self) -> None:
        path, encoding = self.wanted()
        if not path or self.running:
            return
        self.preview, self.previewed = None, None
        self.problem.setText(t("Reading the file…"))
        self._fit_buttons()
        members = self.desk.members
        self.ops.query(lambda: (members.import_preview(path, encoding, PREVIEW_ROWS),
                                count_lines(path)),
                       lambda answer: self._previewed((path, encoding), answer),
                       lambda error: self._refused((path, encoding), error))

    def _previewed(self, asked: tuple[str, str | None], answer: tuple[Preview, int]) -> None:
        if asked != self.wanted():
            return  # another file or encoding was chosen meanwhile
        self.preview, self.total = answer
        self.previewed = asked
        self.problem.clear()
        self.evidence.setText(t("Encoding: %1 — %2")
                              .replace("%1", encoding_label(self.preview.encoding))
                              .replace("%2", evidence_text(self.preview.encoding_evidence)))
        self.columns.setText(columns_text(self.preview))
        self._fill(self.preview.rows)
        self._fit_buttons()

    def _refused(self, asked: tuple[str, str | None], error: BaseException) -> None:
        if asked != self.wanted():
            return
        self.preview, self.previewed = None, None
        self.evidence.clear()
        self.columns.clear()
        self.table.setRowCount(0)
        self.problem.setText(file_problem(error))
        self._fit_buttons()

    def _fill(self, rows: list[PreviewRow]) -> None:
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row_cells(row)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # a long reason is elided in its cell
                self.table.setItem(r, c, item)

    # -- importing -------------------------------------------------------------------------

    def ready(self) -> bool:
        """Import is safe: the rows shown are the file and encoding that will be read."""
        return (not self.running and self.preview is not None and self.outcome is None
                and self.previewed == self.wanted() and self.desk.can(NEEDS))

    def start_import(self) -> None:
        if not self.ready():
            return
        path, encoding = self.wanted()
        self.running = True
        self.stop.clear()
        self.bar.setRange(0, max(self.total - 1, 1))
        self.bar.setValue(0)
        self.bar.setVisible(True)
        self.summary.setText(t("Importing…"))
        self._fit_buttons()
        members = self.desk.members
        self.ops.mutate(lambda: members.import_file(path, encoding, self._batch_done),
                        self._finished, self._failed)

    def _batch_done(self, rows: int) -> bool:
        # On the write worker: hand the count to the UI thread; never touch widgets here.
        self.sig_progress.emit(rows)
        return not self.stop.is_set()

    def _progressed(self, rows: int) -> None:
        self.bar.setMaximum(max(self.bar.maximum(), rows))
        self.bar.setValue(rows)
        if not self.stop.is_set():
            self.summary.setText(t("Importing… %1 rows read").replace("%1", f"{rows:,}"))

    def cancel_import(self) -> None:
        """Stop after the batch being written: the batches before it stay, whole."""
        if self.running:
            self.stop.set()
            self.summary.setText(t("Stopping after the batch being written…"))

    def _finished(self, outcome: ImportOutcome) -> None:
        self.running = False
        self.outcome = outcome
        self.summary.setText(report_text(outcome))
        self._fit_buttons()

    def _failed(self, error: BaseException) -> None:
        self.running = False
        self.bar.setVisible(False)
        self.summary.clear()
        self.problem.setText(file_problem(error))
        self._fit_buttons()

    def _fit_buttons(self) -> None:
        self.import_button.setEnabled(self.ready())
        for widget in (self.path, self.choose, self.encoding):
            widget.setEnabled(not self.running and self.outcome is None)
        self.cancel_button.setText(t("Close") if self.outcome is not None else t("Cancel"))

    # -- keys and closing --------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter imports only what the preview shows; on a new path it previews it."""
        if event.key() in ENTER_KEYS:
            if self.ready():
                self.start_import()
            elif not self.running and self.previewed != self.wanted():
                self.load_preview()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        """Esc or Cancel: while importing, asks whether to stop (between batches)."""
        if not self.running:
            super().reject()
        elif self.ask_stop():
            self.cancel_import()

    def ask_stop(self) -> bool:
        answer = QMessageBox.question(
            self, t("Import members"),
            t("An import is running. Stop it after the batch being written? "
              "What is already imported stays."))
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            event.ignore()
            self.reject()
        else:
            super().closeEvent(event)


def encoding_label(codec: str) -> str:
    """An encoding by its usual name (UTF-8, GB18030, Big5-HKSCS), else Python's."""
    labels = {c: label for c, label in ENCODINGS if c} | {"utf-8-sig": "UTF-8"}
    return labels.get(codec, codec)


def count_lines(path: str) -> int:
    """The file's line count, for the progress bar's length (a read, on a worker)."""
    count = 0
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def columns_text(preview: Preview) -> str:
    read = t(", ").join(f"{t(FIELD_LABELS.get(field, field))} ← “{header}”"
                        for field, header in preview.columns.items())
    text = t("Columns: %1").replace("%1", read)
    if preview.ignored_columns:
        ignored = t(", ").join(f"“{c}”" for c in preview.ignored_columns)
        text += "\n" + t("Not imported: %1").replace("%1", ignored)
    return text


def row_cells(row: PreviewRow) -> list[str]:
    member = row.member
    if member is None:  # refused: its number still says which row it is
        return [str(row.line), row.member_no or "", *[""] * (len(HEADERS) - 3),
                row_problem(row.error)]
    gender = t(GENDERS[member.gender]) if member.gender in GENDERS else ""
    spend = f"¥{member.spend_12m_cents / 100:,.0f}" if member.spend_12m_cents else ""
    tier = tier_name(member.tier_code, member.tier_code or "")
    return [str(row.line), member.member_no, member.name_zh or member.name_latin or "",
            (member.name_latin or "") if member.name_zh else "", "、".join(member.phones),
            "、".join(member.cards), member.birthday.isoformat() if member.birthday else "",
            gender, member.email or "", spend, tier, row_problem(row.error)]


def report_text(outcome: ImportOutcome) -> str:
    """What the import did, as the service reports it."""
    report = outcome.report
    if report.cancelled:
        head = t("Stopped after %1 rows: the batches imported before stay, whole; the rest "
                 "of the file was not read.").replace("%1", f"{report.rows:,}")
    else:
        head = t("Done: %1 rows read.").replace("%1", f"{report.rows:,}")
    counts = (t("Imported %1, already there %2, rejected %3.")
              .replace("%1", f"{report.imported_count:,}")
              .replace("%2", f"{report.unchanged:,}")
              .replace("%3", f"{report.rejected_count:,}"))
    text = f"{head} {counts}"
    if outcome.rejected_file:
        text += "\n" + t("Every rejected row, with its line and reason: %1").replace(
            "%1", outcome.rejected_file)
    return text


class _Window(Protocol):
    """What the opener uses of the main window (passed in; no import of it)."""

    @property
    def desk(self) -> Desk: ...
    @property
    def ops(self) -> Ops: ...
    @property
    def gate(self) -> SessionGate: ...
    def add_menu_action(self, action: QAction) -> None: ...
    def window(self) -> QWidget: ...


class MemberImport(QObject):
    """The 导入会员… menu entry, offered to whoever may import, and its dialog."""

    def __init__(self, window: _Window) -> None:
        widget = window.window()
        super().__init__(widget)
        self.window, self.widget = window, widget
        self.dialog: ImportDialog | None = None
        self.action = QAction(widget)
        self.action.triggered.connect(self.open)
        window.add_menu_action(self.action)
        window.gate.sig_signed_in.connect(lambda _actor: self.fit_to_role())
        window.gate.sig_locked.connect(self._locked)
        widget.installEventFilter(self)
        self.retranslate()
        self.fit_to_role()

    def fit_to_role(self, signed_in: bool = True) -> None:
        may = signed_in and self.window.desk.can(NEEDS)
        self.action.setVisible(may)
        self.action.setEnabled(may)

    def open(self) -> ImportDialog:
        """A new dialog; or the one whose import still runs (the lock hid it), so one
        import is watched at a time."""
        old = self.dialog
        if old is not None and old.running:
            old.show()
            old.raise_()
            return old
        if old is not None:
            old.deleteLater()
        self.dialog = ImportDialog(self.window.desk, self.window.ops, self.widget)
        self.dialog.show()
        return self.dialog

    def _locked(self) -> None:
        """The lock takes the dialog down; a running import stops between batches."""
        self.fit_to_role(signed_in=False)
        dialog = self.dialog
        if dialog is not None and dialog.isVisible():
            dialog.cancel_import()
            dialog.hide()

    def retranslate(self) -> None:
        self.action.setText(t("Import members…"))

    def eventFilter(self, watched: QObject, event: Any) -> bool:
        if watched is self.widget and event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        return False
