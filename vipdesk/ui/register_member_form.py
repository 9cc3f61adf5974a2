"""Registering a new VIP at the desk (登记新会员); opened by `member_forms.py`.

The customer's consent is a required tick. While people type, the form looks for the
same person (same phone, card, or name and birthday) and offers to open that member
instead; the service refuses a phone or card already on file, and a name + birthday
match needs the tick "a different person"."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QWidget

from vipdesk.services.member_edit import (
    DuplicateMember,
    Match,
    MemberDesk,
    Registered,
    Registration,
)
from vipdesk.services.validation import FieldError
from vipdesk.ui.i18n import t
from vipdesk.ui.member_form_base import (
    MemberFormBase,
    chosen_staff,
    combo,
    gender_box,
    parse_preferences,
    prefill,
    split_list,
)
from vipdesk.ui.ops import Ops

MATCH_DELAY_MS = 250


class RegisterDialog(MemberFormBase):
    """A new member; `sig_open_member(member_id)` when the person opens a match instead."""

    sig_open_member = Signal(object)

    def __init__(self, service: MemberDesk, ops: Ops, query: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(service, ops, parent)
        self.setWindowTitle(t("Register new member"))
        self.matches: list[Match] = []
        self.name_zh, self.name_latin = QLineEdit(), QLineEdit()
        self.gender = gender_box()
        self.birthday = QLineEdit()
        self.birthday.setPlaceholderText(t("YYYY-MM-DD"))
        self.phones, self.cards = QLineEdit(), QLineEdit()
        self.phones.setPlaceholderText(t("Several: separate with commas"))
        self.email, self.address, self.occupation = QLineEdit(), QLineEdit(), QLineEdit()
        self.advisor = combo([("", t("— none —"))])
        self.preferences = QPlainTextEdit()
        self.preferences.setPlaceholderText(t("One per line, e.g. Drink: Longjing, no ice"))
        self.preferences.setFixedHeight(70)
        self.consent = QCheckBox(t("The customer agrees to the registration of their "
                                   "personal data"))
        self._rows()
        self._match_row()
        for field, value in prefill(query).items():
            getattr(self, field).setText(value)
        self.revalidate()
        self._load_advisors()
        self.find_matches()

    def _rows(self) -> None:
        self.add_row("name_zh", t("Chinese name"), self.name_zh, required=True)
        self.add_row("name_latin", t("Latin name"), self.name_latin)
        self.add_row("gender", t("Gender"), self.gender)
        self.add_row("birthday", t("Birthday"), self.birthday)
        self.add_row("phones", t("Mobile phone"), self.phones)
        self.add_row("cards", t("Card number"), self.cards)
        self.add_row("email", t("E-mail"), self.email)
        self.add_row("address", t("Address"), self.address)
        self.add_row("occupation", t("Occupation"), self.occupation)
        self.add_row("advisor_id", t("Advisor"), self.advisor)
        self.advisor_row = self.form.rowCount() - 1
        self.form.setRowVisible(self.advisor_row, self.service.may("member.advisor.assign"))
        self.add_row("preferences", t("Preferences"), self.preferences)
        self.add_row("consent", t("Consent"), self.consent, required=True)

    def _match_row(self) -> None:
        self.match_label = QLabel()
        self.match_label.setObjectName("memberMatch")
        self.match_label.setWordWrap(True)
        self.open_match = QPushButton()
        self.open_match.setObjectName("openMatch")
        self.open_match.setAutoDefault(False)
        self.open_match.clicked.connect(self._open_match)
        self.different = QCheckBox(t("A different person with the same name and birthday"))
        for widget in (self.match_label, self.open_match, self.different):
            widget.hide()
            self.form.addRow("", widget)
        self.match_timer = QTimer(self, singleShot=True, interval=MATCH_DELAY_MS)
        self.match_timer.timeout.connect(self.find_matches)
        for box in (self.name_zh, self.name_latin, self.birthday, self.phones, self.cards):
            box.textChanged.connect(lambda _t: self.match_timer.start())

    def _load_advisors(self) -> None:
        if not self.service.may("member.advisor.assign"):
            return
        self.ops.query(self.service.advisors, self._show_advisors, lambda _e: None)

    def _show_advisors(self, advisors: list[tuple[uuid.UUID, str]]) -> None:
        for staff_id, label in advisors:
            self.advisor.addItem(label, str(staff_id))

    def find_matches(self) -> None:
        draft, service = self.draft(), self.service
        if not (draft.phones or draft.cards or (draft.birthday and (draft.name_zh
                                                                    or draft.name_latin))):
            self.show_matches([])
            return
        self.ops.query(lambda: service.matches(draft), self.show_matches, lambda _e: None)

    def show_matches(self, matches: list[Match]) -> None:
        self.matches = matches
        first = matches[0] if matches else None
        why = {"phone": t("same phone"), "card": t("same card"),
               "name_birthday": t("same name and birthday")}
        self.match_label.setText(t("Already on file? %1").replace("%1", t("; ").join(
            f"{m.name} ({m.member_no}, {why.get(m.why, m.why)})" for m in matches)))
        self.match_label.setVisible(first is not None)
        self.open_match.setVisible(first is not None)
        if first is not None:
            self.open_match.setText(t("Open %1 instead").replace("%1", first.name))
        soft_only = bool(matches) and all(m.why == "name_birthday" for m in matches)
        self.different.setVisible(soft_only)

    def _open_match(self) -> None:
        if self.matches:
            member_id = self.matches[0].member_id
            self.discard()
            self.sig_open_member.emit(member_id)

    def draft(self) -> Registration:
        return Registration(
            name_zh=self.name_zh.text().strip() or None,
            name_latin=self.name_latin.text().strip() or None,
            gender=self.gender.currentData() or None,
            birthday=self.birthday_of(self.birthday.text()),
            phones=split_list(self.phones.text()), cards=split_list(self.cards.text()),
            email=self.email.text().strip() or None,
            address=self.address.text().strip() or None,
            occupation=self.occupation.text().strip() or None,
            advisor_id=chosen_staff(self.advisor),
            preferences=parse_preferences(self.preferences.toPlainText()),
            consent=self.consent.isChecked(),
            same_person_ok=self.different.isVisible() and self.different.isChecked())

    def validate(self, draft: Registration) -> list[FieldError]:
        return (self.birthday_errors(self.birthday.text())
                + self.service.validate_registration(draft))

    def save(self, draft: Registration) -> Callable[[], Any]:
        service = self.service
        return lambda: service.register(draft)

    def _failed(self, error: BaseException) -> None:
        super()._failed(error)
        if isinstance(error, DuplicateMember):
            self.show_matches(error.matches)

    def confirmation(self, result: Registered) -> str:
        return t("Registered: %1 (%2)").replace("%1", result.name).replace(
            "%2", result.member_no)


