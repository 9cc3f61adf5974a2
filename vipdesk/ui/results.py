"""The list of members a lookup found: model (plain `MemberHit`s) and view."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QListView, QWidget

from vipdesk.services.lookup import MemberHit

Index = QModelIndex | QPersistentModelIndex
HitRole = Qt.ItemDataRole.UserRole + 1


class ResultsModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hits: list[MemberHit] = []
        self.lang = "zh"

    def set_hits(self, hits: list[MemberHit]) -> None:
        self.beginResetModel()
        self.hits = list(hits)
        self.endResetModel()

    def set_language(self, lang: str) -> None:
        self.lang = lang
        if self.hits:
            self.dataChanged.emit(self.index(0), self.index(len(self.hits) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.line(hit)
        if role == HitRole:
            return hit
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{hit.member_no} · {hit.match.value}"
        if role == Qt.ItemDataRole.ForegroundRole and hit.tier_code is None:
            return QColor("#6b6b6b")
        return None

    def line(self, hit: MemberHit) -> str:
        tier = (hit.tier_name_zh if self.lang == "zh" else hit.tier_name_en) or "—"
        latin = f"  {hit.name_latin}" if hit.name_latin and hit.name_latin != hit.name else ""
        return f"{hit.name}{latin}\n{tier}  ·  {hit.phone_masked or ''}  ·  {hit.member_no}"


class ResultsView(QListView):
    """Arrow keys move, Enter opens; Up from the first row goes back to the search box."""

    sig_open_requested = Signal(object)  # MemberHit
    sig_back_to_search = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("results")
        self.setUniformItemSizes(True)
        self.setSpacing(2)
        self.activated.connect(self._open)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open(self.currentIndex())
            return
        if event.key() == Qt.Key.Key_Up and self.currentIndex().row() <= 0:
            self.sig_back_to_search.emit()
            return
        super().keyPressEvent(event)

    def _open(self, index: QModelIndex) -> None:
        hit = index.data(HitRole) if index.isValid() else None
        if hit is not None:
            self.sig_open_requested.emit(hit)
