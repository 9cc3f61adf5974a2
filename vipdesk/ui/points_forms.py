"""Check-out and points from the member card.

Both are `FormDialog`s: check-out is a confirmation (OK is the default, so Enter
confirms); the points form validates as people type with the service's own
`validate_points`, also warns when a redemption is more than the balance shown, and
translates the service's refusal (`InsufficientPoints`) when the balance changed meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSpinBox, QWidget

from vipdesk.desk import Desk
from vipdesk.services.points import MAX_ENTRY, InsufficientPoints, PointsDraft
from vipdesk.services.profile import MemberProfile
from vipdesk.services.validation import FieldError
from vipdesk.ui.forms import CardForms, FormDialog
from vipdesk.ui.i18n import t
from vipdesk.ui.ops import Ops

ACTIONS = {"earn": "Earn", "redeem": "Redeem", "adjust": "Adjust"}
# The points service's fixed messages, in the desk's language.
POINTS_MESSAGES = {"an adjustment of 0 changes nothing": "An adjustment of 0 changes nothing"}


class CheckOutDialog(FormDialog):
    """One click on the card, Enter here: the member's open visit today is closed."""

    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.member_id = desk, profile.member_id
        self.setWindowTitle(t("Check out %1").replace("%1", profile.name))
        self.form.addRow(QLabel(t("Check %1 out now?").replace("%1", profile.name)))
        self.revalidate()

    def draft(self) -> uuid.UUID:
        return self.member_id

    def validate(self, draft: uuid.UUID) -> list[FieldError]:
        return []  # nothing to fill in; the service refuses if there is no open visit

    def save(self, draft: uuid.UUID) -> Callable[[], Any]:
        desk = self.desk
        return lambda: desk.visits.check_out(draft)


class PointsDialog(FormDialog):
    """Earn, redeem or (managers) adjust the member's points, with the balance on show."""

    def __init__(self, desk: Desk, ops: Ops, profile: MemberProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.desk, self.member_id = desk, profile.member_id
        self.balance = profile.points  # refreshed from the ledger below
        self.setWindowTitle(t("Points — %1").replace("%1", profile.name))
        self.setMinimumWidth(420)
        self.balance_label = QLabel()
        self.balance_label.setObjectName("pointsBalance")
        self.action = QComboBox()
        for kind, name in ACTIONS.items():
            # Adjustments are a manager's; the service enforces it anyway.
            if kind != "adjust" or desk.can("points.adjust"):
                self.action.addItem(t(name), kind)
        self.amount = QSpinBox()
        self.amount.setRange(-MAX_ENTRY, MAX_ENTRY)
        self.amount.setGroupSeparatorShown(True)
        self.reason = QLineEdit()
        self.form.addRow(t("Balance"), self.balance_label)
        self.add_row("kind", t("Action"), self.action)
        self.add_row("points", t("Points"), self.amount)
        self.add_row("reason", t("Reason"), self.reason)
        self._show_balance(self.balance)
        self.revalidate()
        member_id = self.member_id
        self.ops.query(lambda: desk.points.balance(member_id), self._show_balance)

    def _show_balance(self, balance: int) -> None:
        self.balance = balance
        self.balance_label.setText(f"{balance:,}")
        self.revalidate()

    def draft(self) -> PointsDraft:
        return PointsDraft(self.action.currentData(), self.amount.value(), self.reason.text())

    def validate(self, draft: PointsDraft) -> list[FieldError]:
        errors = [FieldError(e.field, t(POINTS_MESSAGES[e.message]))
                  if e.message in POINTS_MESSAGES else e
                  for e in self.desk.points.validate(draft)]
        points = draft.points or 0
        taken = points if draft.kind == "redeem" else -points if draft.kind == "adjust" else 0
        if taken > self.balance:  # the service's rule, shown before anyone presses OK
            errors.append(FieldError("points", self._short_text(self.balance, taken)))
        return errors

    @staticmethod
    def _short_text(balance: int, taken: int) -> str:
        return (t("Not enough points: the balance is %1, cannot take %2")
                .replace("%1", f"{balance:,}").replace("%2", f"{taken:,}"))

    def save(self, draft: PointsDraft) -> Callable[[], Any]:
        desk, member_id = self.desk, self.member_id
        return lambda: desk.points.change(member_id, draft)

    def _failed(self, error: BaseException) -> None:
        super()._failed(error)
        if isinstance(error, InsufficientPoints):
            # Another desk spent them meanwhile: show the real balance, then say so (after
            # revalidating, which would otherwise clear the message).
            refused = t("Not saved: %1").replace("%1", t(
                "the balance changed; there are not enough points"))

            def refreshed(balance: int) -> None:
                self._show_balance(balance)
                self.general.setText(refused)

            self.general.setText(refused)
            member_id = self.member_id
            self.ops.query(lambda: self.desk.points.balance(member_id), refreshed)


class PointsForms(CardForms):
    """Opens check-out and points from the card; keeps the check-out button truthful."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        card = window.card
        card.sig_check_out_requested.connect(lambda: self.open(CheckOutDialog))
        card.sig_points_requested.connect(lambda: self.open(PointsDialog))
        window.sig_card_shown.connect(lambda view: card.set_checked_in(view.checked_in))

    def open(self, kind: Callable[..., FormDialog]) -> FormDialog | None:
        return self.open_for_member(lambda profile: kind(self.desk, self.ops, profile,
                                                         self.window))
