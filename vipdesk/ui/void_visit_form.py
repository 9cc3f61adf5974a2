"""Taking back a wrong check-in (撤销来访登记) from the member card.

At a busy desk staff sometimes check in the wrong member (the wrong search hit). The
card offers 撤销登记… next to 离店 for today's check-in, and on the timeline's visit rows
(right-click) — only for the visits the desk says this person may void
(`Desk.voidable_visits`: today's at this store; a manager's, the last 7 days; never one
linked to a purchase). The dialog asks for the reason; the service checks everything
again, deletes the visit (the delete syncs to every desk) and writes the audit entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from vipdesk.desk import Desk
from vipdesk.services import visits as visit_rules
from vipdesk.services.card_view import CardView
from vipdesk.services.clock import local_date
from vipdesk.services.profile import MemberProfile
from vipdesk.services.validation import FieldError
from vipdesk.services.visits import VisitError, VisitRecord, VoidedVisit
from vipdesk.ui.care_contact_form import worded
from vipdesk.ui.forms import CardForms, FormDialog
from vipdesk.ui.i18n import t
from vipdesk.ui.ops import Ops

# The service's refusals (fixed words), in the desk's language.
REFUSALS = {
    visit_rules.VOID_PURCHASE: "This visit led to a purchase, so it really happened: "
                               "it cannot be voided",
    visit_rules.VOID_TOO_OLD: "Only check-ins of the last 7 days can be voided",
}


def visit_text(visit: VisitRecord, tz: str) -> str:
    """"2026-11-25 10:00 · 取表": which visit the dialog is about."""
    when = visit.checked_in_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    return f"{when} · {visit.purpose or '—'}"


class VoidVisitDialog(FormDialog):
    """The visit, what voiding does, and the reason (required, up to 200 characters)."""

    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile, visit: VisitRecord,
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.visit_id = desk, visit.visit_id
        self.setWindowTitle(t("Void check-in — %1").replace("%1", profile.name))
        self.setMinimumWidth(460)
        what = QLabel(f"{profile.name}  {profile.member_no}\n"
                      f"{visit_text(visit, desk.tz)}")
        what.setObjectName("voidedVisit")
        note = QLabel(t("The visit is removed from the member's history on every desk. "
                        "Who voided it, when and why is kept in the audit log."))
        note.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(t("e.g. checked in the wrong member"))
        self.form.addRow(t("Visit"), what)
        self.form.addRow(note)
        self.add_row("reason", t("Reason"), self.reason)
        self.ok.setText(t("Void check-in"))
        self.revalidate()

    def draft(self) -> str:
        return self.reason.text()

    def validate(self, draft: str) -> list[FieldError]:
        return [worded(e) for e in self.desk.visits.validate_void(draft)]

    def save(self, draft: str) -> Callable[[], Any]:
        desk, visit_id = self.desk, self.visit_id
        return lambda: desk.visits.void(visit_id, draft)

    def _failed(self, error: BaseException) -> None:
        refusal = REFUSALS.get(str(error)) if isinstance(error, VisitError) else None
        super()._failed(VisitError(t(refusal)) if refusal else error)


class VoidVisitForms(CardForms):
    """Keeps the card's offer truthful (which visits this person may void) and opens the
    dialog; after a void the card reloads without the visit."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.visits: dict[uuid.UUID, VisitRecord] = {}
        card = window.card
        card.sig_void_visit_requested.connect(self.open)
        window.sig_card_shown.connect(self.show_voidable)

    def show_voidable(self, view: CardView) -> None:
        desk = self.desk
        self.visits = {v.visit_id: v for v in view.voidable}
        today = desk.today()
        todays = [v.visit_id for v in view.voidable
                  if local_date(v.checked_in_at, desk.tz) == today]
        self.window.card.set_voidable(frozenset(self.visits), todays[0] if todays else None)

    def open(self, visit_id: uuid.UUID) -> VoidVisitDialog | None:
        visit = self.visits.get(visit_id)
        if visit is None or self.window.gate.locked:
            return None
        dialog = self.open_for_member(
            lambda profile: VoidVisitDialog(self.desk, self.ops, profile, visit, self.window))
        if dialog is not None:
            dialog.sig_saved.connect(self._voided)
        return dialog

    def _voided(self, voided: VoidedVisit) -> None:
        when = voided.checked_in_at.astimezone(ZoneInfo(self.desk.tz))
        self.window.status_message.setText(t("Check-in voided: %1").replace(
            "%1", f"{voided.member_no} {when:%m-%d %H:%M}"))
