"""The queue's small dialogs: adding the guest on the card to the queue (why they are
here, whether they hold a booking) and assigning an advisor on the board."""

from __future__ import annotations

import uuid

from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QLabel, QWidget

from vipdesk.ui.i18n import t
from vipdesk.ui.table_page import code_combo, ok_cancel_form

PURPOSES = ("advisor", "fitting_room", "pickup", "repair", "other")
PURPOSE_TEXT = {"advisor": "Advisor consultation", "fitting_room": "Fitting room",
                "pickup": "Pick-up", "repair": "Repair", "other": "Other"}


class AdvisorDialog(QDialog):
    """Pick the advisor; the member's own advisor is suggested when free."""

    def __init__(self, guest: str, choices: list[tuple[uuid.UUID, str, bool]],
                 preferred: uuid.UUID | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Assign advisor"))
        self.advisors = QComboBox()
        for advisor_id, label, busy in choices:
            self.advisors.addItem(label + (f"  ({t('busy')})" if busy else ""), advisor_id)
        found = self.advisors.findData(preferred)
        self.advisors.setCurrentIndex(max(found, 0))
        ok_cancel_form(self, (QLabel(guest), (t("Advisor"), self.advisors)))

    def advisor(self) -> uuid.UUID | None:
        value: uuid.UUID | None = self.advisors.currentData()
        return value


class QueueAddDialog(QDialog):
    """From the member card: why the guest is here, and whether they hold a booking."""

    def __init__(self, guest: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("Add to queue"))
        self.purpose = code_combo(PURPOSES, PURPOSE_TEXT)
        self.appointment = QCheckBox(t("Has an appointment"))
        ok_cancel_form(self, (QLabel(guest), (t("Purpose"), self.purpose),
                              ("", self.appointment)))

    def choice(self) -> tuple[str, bool]:
        return str(self.purpose.currentData()), self.appointment.isChecked()
