"""The member's history, newest first, fetched a page at a time as the list scrolls."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from vipdesk.services.clock import DEFAULT_TZ
from vipdesk.services.timeline import TimelineEntry
from vipdesk.ui.i18n import current, t
from vipdesk.ui.messages import note_text
from vipdesk.ui.names import (
    CATEGORY_NAMES,
    STATE_NAMES,
    TIER_CHANGE_NAMES,
    TIER_NAMES,
    questionnaire_name,
)

Index = QModelIndex | QPersistentModelIndex
KIND_COLORS = {"visit": "#3f6e9a", "purchase": "#8c6d46", "complaint": "#b03a2e",
               "home_visit": "#2e7d5b", "care": "#6a4c93", "survey": "#5d6d7e",
               "tier": "#1d1d1f", "points": "#b7950b"}
KIND_NAMES = {"visit": "Visit", "purchase": "Purchase", "complaint": "Complaint",
              "home_visit": "Home visit", "care": "Care contact", "survey": "Survey",
              "tier": "Tier change", "points": "Points"}


CARE_NAMES = {"birthday": "Birthday greeting", "holiday": "Holiday greeting",
              "anniversary": "Anniversary", "callback": "Callback",
              "welcome_card": "Welcome card", "new_vip": "New VIP call",
              "complaint_contact": "Complaint contact", "complaint_follow_up": "Follow-up call",
              "churn": "Win-back call", "home_visit": "Home visit", "other": "Other",
              "phone": "Phone", "sms": "SMS", "wechat": "WeChat", "in_person": "In person",
              "email": "E-mail", "print": "Printed"}
CODE_NAMES = {**CATEGORY_NAMES, **STATE_NAMES, **CARE_NAMES}


def describe(entry: TimelineEntry) -> str:
    summary = entry.summary or ""
    if entry.kind in ("complaint", "care"):
        # "after_sales · received" → "售后 · 已受理": codes are words for people.
        return " · ".join(t(CODE_NAMES.get(part, part)) for part in summary.split(" · "))
    if entry.kind == "survey":
        return questionnaire_name(summary, current())
    if entry.kind == "tier":  # "auto: diamond" → "按消费：钻石会员"
        how, _, tier = summary.partition(": ")
        return t("%1: %2").replace("%1", t(TIER_CHANGE_NAMES.get(how, how))).replace(
            "%2", t(TIER_NAMES.get(tier, tier)) if tier else "—")
    if entry.kind == "purchase" and summary.lstrip("-").isdigit():
        summary = f"¥{int(summary) / 100:,.0f}"
    elif entry.kind == "points" and summary.lstrip("-").isdigit():
        summary = f"{int(summary):+,}"
    return summary


class TimelineModel(QAbstractListModel):
    sig_more_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[TimelineEntry] = []
        self.exhausted = True
        self.loading = False
        self.tz = DEFAULT_TZ  # the store's, set by the window: times in store time

    def reset(self, entries: list[TimelineEntry], page_size: int) -> None:
        self.beginResetModel()
        self.entries = list(entries)
        self.exhausted = len(entries) < page_size
        self.loading = False
        self.endResetModel()

    def append(self, entries: list[TimelineEntry], page_size: int) -> None:
        self.loading = False
        self.exhausted = len(entries) < page_size
        if entries:
            first = len(self.entries)
            self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
            self.entries.extend(entries)
            self.endInsertRows()

    def cursor(self) -> tuple[Any, Any] | None:
        last = self.entries[-1] if self.entries else None
        return (last.at, last.record_id) if last else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and not self.exhausted and not self.loading

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self.loading = True
            self.sig_more_requested.emit()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.entries):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            when = entry.at.astimezone(ZoneInfo(self.tz)).strftime("%Y-%m-%d %H:%M")
            detail = f"\n{note_text(entry.detail)[:300]}" if entry.detail else ""
            return f"{when}   {t(KIND_NAMES.get(entry.kind, entry.kind))}   " \
                   f"{describe(entry)}{detail}"
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(KIND_COLORS.get(entry.kind, "#333333"))
        return None
