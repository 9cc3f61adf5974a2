"""The list of members a lookup found: model (plain `MemberHit`s) and view.

Three 周平 must not look alike: each row also says who is in the lounge now, the last
visit and an age rounded to five years (enough to tell people apart, not a birth date).
Those come in a second query after the hits (`VisitService.tell_apart`), so the lookup
itself stays as fast as it is benchmarked.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QListView, QWidget

from vipdesk.services.lookup import MemberHit
from vipdesk.services.profile import NO_TIER_EN, NO_TIER_ZH
from vipdesk.services.visits import TellApart
from vipdesk.ui.i18n import t
from vipdesk.ui.names import MATCH_NAMES

Index = QModelIndex | QPersistentModelIndex
HitRole = Qt.ItemDataRole.UserRole + 1
HERE_COLOR = QColor("#2e7d4f")  # a guest in the lounge now stands out (the chip's green)


def approx_age(birth_year: int | None, this_year: int) -> int | None:
    """Age to the nearest five years ("约45岁"): tells people apart, keeps the year."""
    if birth_year is None or not 0 < this_year - birth_year < 130:
        return None
    return int(5 * round((this_year - birth_year) / 5))


class ResultsModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hits: list[MemberHit] = []
        self.facts: dict[uuid.UUID, TellApart] = {}
        self.lang = "zh"
        self.this_year = date.today().year

    def set_hits(self, hits: list[MemberHit]) -> None:
        self.beginResetModel()
        self.hits = list(hits)
        self.facts = {}
        self.endResetModel()

    def set_facts(self, facts: dict[uuid.UUID, TellApart]) -> None:
        """What tells the hits apart, once the second query answers."""
        self.facts = dict(facts)
        if self.hits:
            self.dataChanged.emit(self.index(0), self.index(len(self.hits) - 1))

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
            return f"{hit.member_no} · {t(MATCH_NAMES.get(hit.match, hit.match))}"
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._ink(hit)
        return None

    def _ink(self, hit: MemberHit) -> QColor | None:
        if self._here(hit):
            return HERE_COLOR
        return QColor("#6b6b6b") if hit.tier_code is None else None

    def _here(self, hit: MemberHit) -> bool:
        facts = self.facts.get(hit.member_id)
        return facts is not None and facts.here_since is not None

    def line(self, hit: MemberHit) -> str:
        # Below every tier: the words the card's badge uses, not a dash.
        tier = ((hit.tier_name_zh or NO_TIER_ZH) if self.lang == "zh"
                else (hit.tier_name_en or NO_TIER_EN))
        latin = f"  {hit.name_latin}" if hit.name_latin and hit.name_latin != hit.name else ""
        here = "  ● " + t("In the lounge") if self._here(hit) else ""
        return (f"{hit.name}{latin}{here}\n{tier}  ·  {hit.phone_masked or ''}  ·  "
                f"{hit.member_no}\n{self.apart(hit)}")

    def apart(self, hit: MemberHit) -> str:
        """Age and last visit: the third line, empty until the facts arrive."""
        facts = self.facts.get(hit.member_id)
        if facts is None:
            return ""
        age = approx_age(facts.birth_year, self.this_year)
        parts = [t("about %n").replace("%n", str(age))] if age is not None else []
        parts.append(t("last visit %1").replace("%1", f"{facts.last_visit:%Y-%m-%d}")
                     if facts.last_visit else t("no visit yet"))
        return "  ·  ".join(parts)


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
