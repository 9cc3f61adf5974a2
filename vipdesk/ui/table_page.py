"""What the list pages (the care list, the queue board) share: their table model's
plumbing, the page around the table, and the small OK / Cancel dialogs they open."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from vipdesk.desk import Desk
from vipdesk.ui.i18n import t
from vipdesk.ui.ops import Ops

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """A flat table of the rows in `listed`, one column per header; `headers` is called
    for each header request, so the headers follow the current language. Subclasses fill
    `listed` (between begin/endResetModel) and answer `data`."""

    def __init__(self, headers: Callable[[], list[str]], parent: QWidget | None = None,
                 ) -> None:
        super().__init__(parent)
        self.headers = headers
        self.columns = len(headers())
        self.listed: list[Any] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.listed)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.columns

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < self.columns):
            return self.headers()[section]
        return None


class TablePage(QWidget):
    """A manager's page with a title, a summary and its controls in a bar over a table,
    working through `Desk` on `Ops`; it retranslates itself when the language changes."""

    sig_open_member = Signal(object)  # member_id
    sig_message = Signal(str)

    def __init__(self, desk: Desk, ops: Ops, title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.ops = desk, ops
        self.title_source = title  # English; shown in the desk's language

    def frame(self, view: QTableView, controls: Sequence[QWidget], stretch: int) -> None:
        """Lay the page out around `view`: whole rows picked one at a time, read-only, no
        row numbers; the columns fit their text but `stretch`, which takes the rest."""
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        self.summary = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addWidget(self.summary, 1)
        for control in controls:
            bar.addWidget(control)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().hide()
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(view, 1)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        """The page's own texts in the desk's language; pages add their controls'."""
        self.title.setText(t(self.title_source))


def code_combo(codes: Iterable[str], names: Mapping[str, str]) -> QComboBox:
    """A choice of codes, each shown by its name in the desk's language (or the code)."""
    box = QComboBox()
    for code in codes:
        box.addItem(t(names.get(code, code)), code)
    return box


def ok_cancel_form(dialog: QDialog, rows: Sequence[QWidget | tuple[str, QWidget]]) -> None:
    """Lay `dialog` out as a form: `rows` (a widget across the form, or a label and its
    field), then OK (accepts) and Cancel (rejects)."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form = QFormLayout(dialog)
    for row in rows:
        if isinstance(row, tuple):
            form.addRow(*row)
        else:
            form.addRow(row)
    form.addRow(buttons)
