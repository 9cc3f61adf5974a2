"""The member card: who they are, tier and benefits, what they like, alerts, history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from vipdesk.services.profile import Alert, MemberProfile
from vipdesk.ui.flow_layout import FlowLayout
from vipdesk.ui.i18n import t
from vipdesk.ui.timeline_view import TimelineModel

if TYPE_CHECKING:
    from collections.abc import Callable

PREFERENCE_TAGS = {"drink": "Drink", "size": "Size", "avoid": "Avoid", "interest": "Interest",
                   "address_as": "Address as", "note": "Note",
                   "care_opt_out": "No care calls"}
CARE_CONTACT_KEYS = "Ctrl+Shift+C"  # opens the care-contact form (care_contact_form.py)
FILE_FIELDS = {"occupation": "Occupation", "family": "Family", "hobbies": "Hobbies",
               "career": "Career", "lifestyle": "Lifestyle", "referral": "Referral",
               "purchase_intent": "Purchase intent"}


def alert_text(alert: Alert, lang: str) -> str:
    p = alert.params
    if alert.code == "open_complaint":
        return t("Open complaint") + f" ×{p.get('count', 1)}"
    if alert.code == "birthday":
        days = int(str(p.get("days", 0)))
        if days <= 1:
            return t("Birthday today!") if days == 0 else t("Birthday tomorrow")
        return t("Birthday in %n days").replace("%n", str(days))
    if alert.code == "first_visit":
        return t("First visit")
    target = p.get("to_zh") if lang == "zh" else p.get("to_en")
    if alert.code == "tier_at_risk":
        return t("Tier at risk → %1").replace("%1", str(target))
    if alert.code == "tier_near_upgrade":
        return t("Near upgrade → %1").replace("%1", str(target))
    return alert.code


@dataclass(frozen=True)
class CardAction:
    button: QAbstractButton
    needs: str | None  # the permission the role needs for the button to show
    keys: str | None  # the shortcut that presses it


def _label(text: str = "", name: str = "", wrap: bool = False) -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class MemberCard(QFrame):
    """Shows one `MemberProfile`; emits requests, never does work itself."""

    sig_card_print_requested = Signal(object)  # member_id
    # Service history forms (vipdesk/ui/history_forms.py opens them)
    sig_check_in_requested = Signal()
    sig_complaint_requested = Signal()
    sig_home_visit_requested = Signal()
    sig_complaints_requested = Signal()
    # Check-out and points (vipdesk/ui/points_forms.py opens them)
    sig_check_out_requested = Signal()
    sig_points_requested = Signal()
    sig_survey_requested = Signal()  # vipdesk/ui/survey_form.py opens it
    sig_care_contact_requested = Signal()  # vipdesk/ui/care_contact_form.py opens it
    sig_void_visit_requested = Signal(object)  # visit_id; vipdesk/ui/void_visit_form.py
    sig_edit_requested = Signal()  # vipdesk/ui/member_forms.py opens the edit dialog
    sig_profile_shown = Signal(object)  # member_id: whoever shows per-member state refreshes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("memberCard")
        self.profile: MemberProfile | None = None
        self.lang = "zh"
        self.timeline = TimelineModel(self)
        # Visits the signed-in person may void (the desk says which), and the one the
        # 撤销登记… button takes back: today's latest.
        self.voidable: frozenset[uuid.UUID] = frozenset()
        self.void_target: uuid.UUID | None = None
        self._build()

    def _build(self) -> None:
        self.name = _label(name="memberName")
        self.honorific = _label(name="honorific")
        self.tier = _label(name="tierBadge")
        self.ids = _label(name="memberIds")
        self.alerts = FlowLayout(spacing=8)  # wraps: five alerts in English are wide
        header = QGridLayout()
        header.addWidget(self.name, 0, 0)
        header.addWidget(self.tier, 0, 1, Qt.AlignmentFlag.AlignRight)
        header.addWidget(self.honorific, 1, 0)
        header.addWidget(self.ids, 1, 1, Qt.AlignmentFlag.AlignRight)
        # 在店 · 21:38 起 (lounge_strip.py): the first chip of the alerts' row, not a row
        # of its own (at 768 pixels high every line of the card counts).
        self.in_lounge = _label(name="inLounge")
        self.in_lounge.hide()
        self.alerts.addWidget(self.in_lounge)
        self.facts = _label(name="facts", wrap=True)
        self.preferences = _label(name="prefs", wrap=True)
        self.benefits = _label(name="benefits", wrap=True)
        self.file = _label(name="file", wrap=True)
        self.history_title = _label(name="sectionTitle")
        self.history = QListView()
        self.history.setObjectName("timeline")
        self.history.setModel(self.timeline)
        self.history.setWordWrap(True)
        self.history.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.history.customContextMenuRequested.connect(self._timeline_menu)
        self.timeline_menu = QMenu(self)  # filled for the row right-clicked
        self.print_button = QPushButton()
        self.print_button.setObjectName("primary")
        self.print_button.clicked.connect(self._print)
        self._history_actions()
        left = QVBoxLayout()
        left.addWidget(self._details(), 1)
        left.addWidget(self.print_button)  # outside the scrolling: always in reach
        right = QVBoxLayout()
        right.addWidget(self.history_title)
        right.addWidget(self.history, 1)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        self.photo = _label(name="memberPhoto")
        self.photo.hide()  # until a member with a photo shows
        top = QHBoxLayout()
        top.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(header, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(top)
        outer.addLayout(self.alerts)
        outer.addLayout(self.history_actions)
        outer.addLayout(body, 1)

    def _details(self) -> QScrollArea:
        """Facts, preferences, benefits and the whole customer file, scrolling when
        they are longer than the screen is high."""
        details = QWidget()
        details.setObjectName("cardDetails")
        column = QVBoxLayout(details)
        column.setContentsMargins(0, 0, 6, 0)
        for widget in (self.facts, self.preferences, self.benefits, self.file):
            column.addWidget(widget)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("cardDetails")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(details)
        self.details_scroll = scroll
        return scroll

    def _history_actions(self) -> None:
        """The buttons for what the desk records; they wrap onto a second line where
        the card is narrower than all of them (English on a 1366-wide screen)."""
        self.history_actions = FlowLayout()
        self.history_actions.addStretch(1)  # actions go before it (`add_action`)
        self.card_actions: list[CardAction] = []
        self.role_may: Callable[[str], bool] = lambda _action: True
        self.check_in_button = QPushButton()
        self.check_in_button.setObjectName("primary")
        self.complaint_button = QPushButton()
        self.home_visit_button = QPushButton()
        self.complaints_button = QPushButton()
        self.check_out_button = QPushButton()
        self.check_out_button.setObjectName("checkOut")
        self.check_out_button.hide()  # until we know the member is checked in today
        self.void_button = QPushButton()
        self.void_button.setObjectName("voidVisit")
        self.void_button.hide()  # until the desk confirms a check-in this person may void
        self.points_button = QPushButton()
        self.points_button.setObjectName("pointsAction")
        self.survey_button = QPushButton()
        self.survey_button.setObjectName("surveyAction")
        self.care_button = QPushButton()
        self.care_button.setObjectName("careContact")
        self.care_button.hide()  # until the desk confirms the actor may log for this member
        self.edit_button = QPushButton()
        self.edit_button.setObjectName("editMember")
        self._own_actions()

    def _own_actions(self) -> None:
        """The card's own actions, in the order they show; check-in and check-out share
        a key (the card shows one of them)."""
        for button, signal, keys, needs in (
                (self.check_in_button, self.sig_check_in_requested, "Ctrl+I", None),
                (self.check_out_button, self.sig_check_out_requested, "Ctrl+I", None),
                (self.void_button, None, None, None),
                (self.points_button, self.sig_points_requested, None, None),
                (self.survey_button, self.sig_survey_requested, None, None),
                (self.care_button, self.sig_care_contact_requested, None, None),
                (self.complaint_button, self.sig_complaint_requested, "Ctrl+K",
                 "complaint.open"),
                (self.home_visit_button, self.sig_home_visit_requested, "Ctrl+H",
                 "homevisit.log.own"),  # per member: the service decides
                (self.complaints_button, self.sig_complaints_requested, "Ctrl+Shift+K",
                 None),
                (self.edit_button, self.sig_edit_requested, None, None)):
            if signal is not None:
                button.clicked.connect(signal.emit)
            self.add_action(button, needs=needs, keys=keys)
        self.void_button.clicked.connect(self._void_today)
        self.card_actions.append(CardAction(self.print_button, None, "Ctrl+P"))  # not in the row

    def add_action(self, button: QAbstractButton, *, needs: str | None = None,
                   keys: str | None = None) -> None:
        """A button in the card's row of actions, after those added before it. `needs`:
        the permission the signed-in person's role must have for it to show; `keys`:
        the shortcut that presses it (`card_keys.py`)."""
        row = self.history_actions
        row.insertWidget(row.count() - 1, button)  # before the stretch that ends the row
        self.card_actions.append(CardAction(button, needs, keys))
        if needs is not None:
            button.setVisible(self.role_may(needs))

    def fit_to_role(self, role_may: Callable[[str], bool]) -> None:
        """Show the actions the signed-in person's role may ever use (`role_may(action)`)."""
        self.role_may = role_may
        for action in self.card_actions:
            if action.needs is not None:
                action.button.setVisible(role_may(action.needs))

    def show_profile(self, profile: MemberProfile, lang: str) -> None:
        self.profile, self.lang = profile, lang
        self.timeline.reset(profile.timeline, page_size=50)
        self.redraw()
        self._show_photo(profile.photo)
        self.check_out_button.hide()  # shown again once the desk confirms an open visit
        self.check_in_button.show()
        self.care_button.hide()  # likewise, once the desk confirms the permission
        self.set_voidable(frozenset(), None)  # likewise, once the desk says which
        self.sig_profile_shown.emit(profile.member_id)

    def _show_photo(self, data: bytes | None) -> None:
        """The member's photo beside the name, as tall as the name and honorific lines
        (so it grows with the type on larger screens); nothing when there is none or it
        cannot be read."""
        pixmap = QPixmap()
        if not data or not pixmap.loadFromData(data):
            self.photo.clear()
            self.photo.hide()
            return
        side = self.name.sizeHint().height() + self.honorific.sizeHint().height()
        self.photo.setPixmap(pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))
        self.photo.show()

    def set_checked_in(self, here: bool) -> None:
        """Offer check-out while the member has an open visit today, check-in otherwise
        (the service refuses a second open visit anyway)."""
        self.check_out_button.setVisible(here)
        self.check_in_button.setVisible(not here)

    def set_in_lounge(self, text: str | None) -> None:
        """The in-lounge chip ("在店 · 21:38 起"); None while the member is not here."""
        self.in_lounge.setText(text or "")
        self.in_lounge.setVisible(text is not None)

    def set_care_allowed(self, allowed: bool) -> None:
        """Offer the care-contact form only to whoever may log one for this member."""
        self.care_button.setVisible(allowed)

    def set_voidable(self, visits: frozenset[uuid.UUID], today: uuid.UUID | None) -> None:
        """Offer 撤销登记… for these visits (timeline menu) and today's (the button)."""
        self.voidable, self.void_target = visits, today
        self.void_button.setVisible(today is not None)

    def _void_today(self) -> None:
        if self.void_target is not None:
            self.sig_void_visit_requested.emit(self.void_target)

    def _timeline_menu(self, pos: QPoint) -> None:
        """Right-click on a visit the desk said may be voided: 撤销登记…."""
        row = self.history.indexAt(pos).row()
        if not 0 <= row < len(self.timeline.entries):
            return
        entry = self.timeline.entries[row]
        if entry.kind != "visit" or entry.record_id not in self.voidable:
            return
        self.timeline_menu.clear()
        action = self.timeline_menu.addAction(t("Void check-in…"))
        action.triggered.connect(lambda: self.sig_void_visit_requested.emit(entry.record_id))
        self.timeline_menu.popup(self.history.viewport().mapToGlobal(pos))

    def redraw(self) -> None:
        p = self.profile
        if p is None:
            return
        zh = self.lang == "zh"
        self.name.setText(p.name)
        forms = ((p.honorific_zh, p.honorific_en) if zh else
                 (p.honorific_en, p.name_latin or p.honorific_zh))
        # Without a Latin name both forms are the Chinese one: say it once.
        self.honorific.setText("  ·  ".join(dict.fromkeys(f for f in forms if f)))
        tier = p.tier_name_zh if zh else p.tier_name_en
        self.tier.setText(tier + (" ✱" if p.tier_overridden else ""))
        self.tier.setToolTip(p.tier_override_reason or "")
        self.tier.setStyleSheet(f"background:{p.tier_color};")
        self.ids.setText(f"{p.member_no}  ·  {', '.join(p.phones_masked)}")
        self._render_alerts(p)
        self.facts.setText(self._facts(p))
        self.preferences.setText(self._section(t("Preferences"), [
            f"{t(PREFERENCE_TAGS.get(tag, tag))}: {value}" for tag, value in p.preferences]))
        self.benefits.setText(self._section(t("Benefits"), [
            b.name_zh if zh else b.name_en for b in p.benefits]))
        self.file.setText(self._section(t("Customer file"), [
            f"{t(FILE_FIELDS.get(k, k))}: {v}" for k, v in p.file.items()]))
        self.history_title.setText(t("History") if p.timeline else t("History — nothing yet"))
        self.print_button.setText(t("Print welcome card"))
        self.check_in_button.setText(t("Check in"))
        self.complaint_button.setText(t("Record complaint"))
        self.home_visit_button.setText(t("Home visit"))
        self.check_out_button.setText(t("Check out"))
        self.void_button.setText(t("Void check-in…"))
        self.void_button.setToolTip(t("Checked in the wrong member? Take today's check-in back"))
        self.points_button.setText(t("Points…"))
        self.survey_button.setText(t("Survey…"))
        self.care_button.setText(t("Care contact…"))
        self.edit_button.setText(t("Edit…"))
        self.edit_button.setToolTip(t("Edit contact details, preferences and the file"))
        self.care_button.setToolTip(t("Log a call, message or greeting (%1)")
                                    .replace("%1", CARE_CONTACT_KEYS))
        open_count = next((int(str(a.params.get("count", 1))) for a in p.alerts
                           if a.code == "open_complaint"), 0)
        self.complaints_button.setText(t("Open complaints (%n)").replace("%n", str(open_count)))
        self.complaints_button.setVisible(open_count > 0)

    def _facts(self, p: MemberProfile) -> str:
        lines = [
            f"{t('Advisor')}: {p.advisor or '—'}",
            f"{t('Points')}: {p.points:,}",
            f"{t('12-month spend')}: ¥{p.spend_12m_cents / 100:,.0f}",
        ]
        if p.birthday:
            lines.append(f"{t('Birthday')}: {p.birthday:%m-%d}")
        return "<br>".join(lines)

    @staticmethod
    def _section(title: str, rows: list[str]) -> str:
        body = "<br>".join(_escape(r) for r in rows) if rows else "—"
        return f"<b>{_escape(title)}</b><br>{body}"

    def _render_alerts(self, p: MemberProfile) -> None:
        while self.alerts.count():
            item = self.alerts.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None and widget is not self.in_lounge:
                widget.deleteLater()
        self.alerts.addWidget(self.in_lounge)  # kept: set by the lounge, not the profile
        for alert in p.alerts:
            chip = _label(alert_text(alert, self.lang), name=f"alert_{alert.level}")
            self.alerts.addWidget(chip)
        self.alerts.addStretch(1)

    def _print(self) -> None:
        if self.profile is not None:
            self.sig_card_print_requested.emit(self.profile.member_id)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
