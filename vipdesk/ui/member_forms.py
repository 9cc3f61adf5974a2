"""Registering a new VIP and editing a member's file at the desk (SPEC §2).

- **Register** (登记新会员): from the "not found" notice's button or Ctrl+N after a search
  that found nobody; the phone, card or name typed is carried into the form. The customer's
  consent is a required tick. While people type, the form looks for the same person (same
  phone, card, or name and birthday) and offers to open that member instead; the service
  refuses a phone or card already on file, and a name + birthday match needs the tick
  "a different person". After saving, the new member's card opens.
- **Edit** (编辑资料…, Ctrl+E on the card): contact details, phones and cards (tick to
  remove, type to add), preferences one per line ("饮品：龙井"; a changed line is a new
  record with who and when), the file, the advisor (managers) and a tier override with a
  reason (managers). What the signed-in person may not change is shown read-only or not
  at all (the private file); the service checks every part again when saving.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from vipdesk.services import phones
from vipdesk.services.clock import DEFAULT_TZ
from vipdesk.services.member_edit import (
    DuplicateMember,
    EditView,
    Match,
    MemberChanges,
    MemberDesk,
    Registered,
    Registration,
)
from vipdesk.services.validation import FieldError
from vipdesk.ui.empty_state import REGISTER_KEYS
from vipdesk.ui.forms import FormDialog
from vipdesk.ui.i18n import t, table
from vipdesk.ui.member_card import FILE_FIELDS, PREFERENCE_TAGS
from vipdesk.ui.ops import Ops

EDIT_KEYS = "Ctrl+E"
MATCH_DELAY_MS = 250
PRIVATE_FIELDS = ("family", "lifestyle")
LIST_SPLIT = re.compile(r"[,，;；、\n]+")
PREF_SPLIT = re.compile(r"\s*[:：]\s*")
CJK = re.compile(r"[\u3400-\u9fff]")
GENDERS = (("", "— not given —"), ("F", "Female"), ("M", "Male"))
# The services' field problems in the desk's language (the generic ones — required,
# too long, in the future — are worded by ui/messages.py).
FIELD_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), w) for p, w in (
        (r"not a valid number: (.*)", "Not a phone number: %1"),
        (r"letters and digits only, at most 40", "Letters and digits only, at most 40"),
        (r"not an e-mail address", "Not an e-mail address"),
        (r"not a plausible birthday", "Not a plausible birthday"),
        (r"not a date \(YYYY-MM-DD\)", "Not a date (YYYY-MM-DD)"),
        (r"already on file: (.*)", "Already on file: %1"),
        (r"no such member", "No such member"),
        (r"that is this member", "That is this member"),
    ))


def worded(error: FieldError) -> FieldError:
    if error.field == "consent":
        return FieldError("consent", t("Ask the customer's consent first"))
    if error.field == "name_zh" and error.message == "required":
        return FieldError("name_zh", t("A Chinese or Latin name is required"))
    for pattern, words in FIELD_WORDS:
        found = pattern.fullmatch(error.message)
        if found is not None:
            text = t(words)
            for i, group in enumerate(found.groups(), 1):
                text = text.replace(f"%{i}", group)
            return FieldError(error.field, text)
    return error


def split_list(text: str) -> list[str]:
    """"138 0013 8000，139…" → each number as typed (spaces inside a number stay)."""
    return [part.strip() for part in LIST_SPLIT.split(text) if part.strip()]


def parse_birthday(text: str) -> date | None:
    """YYYY-MM-DD (or with / or .); raises ValueError for anything else."""
    text = text.strip().replace("/", "-").replace(".", "-")
    return date.fromisoformat(text) if text else None


def pref_label(tag: str) -> str:
    return t(PREFERENCE_TAGS.get(tag, tag))


def pref_line(tag: str, value: str) -> str:
    return f"{pref_label(tag)}：{value}"


def recorded(by: str | None, at: datetime | None) -> str:
    """" · 张敏 · 11-25 15:20": who recorded a preference and when (store time)."""
    parts = [by] if by else []
    if at is not None:
        parts.append(f"{at.astimezone(ZoneInfo(DEFAULT_TZ)):%m-%d %H:%M}")
    return "".join(f" · {part}" for part in parts)


@cache
def _chinese() -> dict[str, str]:
    return table("zh")  # read once: the draft is parsed at every key


def parse_preferences(text: str) -> list[tuple[str, str]]:
    """One per line, "饮品：龙井" or "drink: 龙井"; a known label becomes its tag, a line
    without a label is a note."""
    zh = _chinese()  # Chinese labels are understood on an English desk too
    codes = {}
    for code, label in PREFERENCE_TAGS.items():
        codes.update({code: code, label.lower(): code, t(label).lower(): code,
                      zh.get(label, label).lower(): code})
    prefs = []
    for line in text.splitlines():
        parts = PREF_SPLIT.split(line.strip(), maxsplit=1)
        if not parts[0]:
            continue
        tag, value = (parts[0], parts[1]) if len(parts) == 2 else ("note", parts[0])
        prefs.append((codes.get(tag.lower(), tag), value))
    return prefs


def prefill(query: str) -> dict[str, str]:
    """What a search that found nobody says about the new member: a phone, a card or
    a name (four digits or fewer say nothing: a phone's tail)."""
    query = query.strip()
    if not query or (query.isdigit() and len(query) <= 4):
        return {}
    if phones.try_normalize(query) is not None:
        return {"phones": query}
    if query.isascii() and query.isalnum() and any(c.isdigit() for c in query):
        return {"cards": query}
    return {"name_zh" if CJK.search(query) else "name_latin": query}


def _combo(items: list[tuple[Any, str]]) -> QComboBox:
    box = QComboBox()
    for data, text in items:
        box.addItem(text, data)
    return box


def _gender_box() -> QComboBox:
    return _combo([(code, t(text)) for code, text in GENDERS])


class MemberFormBase(FormDialog):
    """What both forms share: wording the service's problems, the birthday field."""

    def __init__(self, service: MemberDesk, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.service = service
        self.setMinimumWidth(620)

    def show_errors(self, errors: list[FieldError]) -> None:
        super().show_errors([worded(e) for e in errors])

    def birthday_errors(self, text: str) -> list[FieldError]:
        try:
            parse_birthday(text)
        except ValueError:
            return [FieldError("birthday", "not a date (YYYY-MM-DD)")]
        return []

    def second_column(self) -> None:
        """Rows added from now on go into a column to the right (the edit form is
        taller than a 768-pixel screen in one column)."""
        outer = self.layout()
        assert isinstance(outer, QBoxLayout)
        columns = QHBoxLayout()
        outer.removeItem(self.form)
        self.form.setParent(None)  # free to join the row of columns
        columns.addLayout(self.form, 1)
        self.form = QFormLayout()
        columns.addLayout(self.form, 1)
        outer.insertLayout(0, columns)

    @staticmethod
    def birthday_of(text: str) -> date | None:
        try:
            return parse_birthday(text)
        except ValueError:
            return None


class RegisterDialog(MemberFormBase):
    """A new member; `sig_open_member(member_id)` when the person opens a match instead."""

    sig_open_member = Signal(object)

    def __init__(self, service: MemberDesk, ops: Ops, query: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(service, ops, parent)
        self.setWindowTitle(t("Register new member"))
        self.matches: list[Match] = []
        self.name_zh, self.name_latin = QLineEdit(), QLineEdit()
        self.gender = _gender_box()
        self.birthday = QLineEdit()
        self.birthday.setPlaceholderText(t("YYYY-MM-DD"))
        self.phones, self.cards = QLineEdit(), QLineEdit()
        self.phones.setPlaceholderText(t("Several: separate with commas"))
        self.email, self.address, self.occupation = QLineEdit(), QLineEdit(), QLineEdit()
        self.advisor = _combo([("", t("— none —"))])
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
            advisor_id=_staff_id(self.advisor),
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


class EditDialog(MemberFormBase):
    """One member's details, numbers, preferences, file, advisor and tier override."""

    def __init__(self, service: MemberDesk, ops: Ops, view: EditView,
                 advisors: list[tuple[uuid.UUID, str]], tier_choices: list[tuple[str, str, str]],
                 lang: str = "zh", parent: QWidget | None = None) -> None:
        super().__init__(service, ops, parent)
        self.view = view
        name = view.name_zh or view.name_latin or view.member_no
        self.setWindowTitle(t("Edit member — %1").replace("%1", name))
        self.setMinimumWidth(1000)
        self.name = name
        self._contact_rows()
        self._number_rows()
        self._preference_rows()
        self.second_column()
        self._file_rows()
        self._manager_rows(advisors, tier_choices, lang)
        self.hint = QLabel(t("You may record preferences; the rest is kept by the "
                             "member's advisor or a manager."))
        self.hint.setObjectName("editHint")
        self.hint.setVisible("member.edit.own" not in view.may)  # why most of it is grey
        outer = self.layout()
        assert isinstance(outer, QBoxLayout)
        outer.insertWidget(0, self.hint)
        self.revalidate()

    def _line(self, value: str | None) -> QLineEdit:
        box = QLineEdit(value or "")
        box.setEnabled("member.edit.own" in self.view.may)
        return box

    def _contact_rows(self) -> None:
        v = self.view
        self.name_zh, self.name_latin = self._line(v.name_zh), self._line(v.name_latin)
        self.gender = _gender_box()
        self.gender.setCurrentIndex(max(self.gender.findData(v.gender or ""), 0))
        self.gender.setEnabled("member.edit.own" in v.may)
        self.birthday = self._line(v.birthday.isoformat() if v.birthday else "")
        self.birthday.setPlaceholderText(t("YYYY-MM-DD"))
        self.email, self.address = self._line(v.email), self._line(v.address)
        self.add_row("name_zh", t("Chinese name"), self.name_zh)
        self.add_row("name_latin", t("Latin name"), self.name_latin)
        self.add_row("gender", t("Gender"), self.gender)
        self.add_row("birthday", t("Birthday"), self.birthday)
        self.add_row("email", t("E-mail"), self.email)
        self.add_row("address", t("Address"), self.address)

    def _checklist(self, items: list[tuple[Any, str]]) -> QListWidget:
        box = QListWidget()
        box.setEnabled("member.edit.own" in self.view.may)
        box.setMaximumHeight(22 * max(len(items), 1) + 6)
        for data, text in items:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, data)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            box.addItem(item)
        return box

    def _number_rows(self) -> None:
        self.phone_list = self._checklist(list(self.view.phones))
        self.phones_add = self._line("")
        self.phones_add.setPlaceholderText(t("Add: separate several with commas"))
        self.card_list = self._checklist([(c, c) for c in self.view.cards])
        self.cards_add = self._line("")
        self.cards_add.setPlaceholderText(t("Add: separate several with commas"))
        if self.view.phones:
            self.add_row("phones_remove", t("Phones (tick to remove)"), self.phone_list)
        self.add_row("phones", t("Add phone"), self.phones_add)
        if self.view.cards:
            self.add_row("cards_remove", t("Cards (tick to remove)"), self.card_list)
        self.add_row("cards", t("Add card"), self.cards_add)

    def _preference_rows(self) -> None:
        prefs = self.view.preferences
        self.preferences = QPlainTextEdit("\n".join(pref_line(p.tag, p.value) for p in prefs))
        self.preferences.setFixedHeight(80)
        self.preferences.setEnabled("member.preference.own" in self.view.may)
        self.add_row("preferences", t("Preferences (one per line)"), self.preferences)
        self.pref_history = QLabel("<br>".join(
            _escape(pref_line(p.tag, p.value) + recorded(p.by, p.at)) for p in prefs))
        self.pref_history.setObjectName("prefHistory")
        self.pref_history.setWordWrap(True)
        self.pref_history.setStyleSheet("color:#6b6b6b;")
        if prefs:
            self.form.addRow("", self.pref_history)

    def _file_rows(self) -> None:
        self.file_boxes: dict[str, QPlainTextEdit] = {}
        for field, label in FILE_FIELDS.items():
            private = field in PRIVATE_FIELDS
            if private and "member.private.own" not in self.view.may:
                continue  # not theirs to read: not even an empty box
            box = QPlainTextEdit(self.view.file.get(field, ""))
            box.setFixedHeight(44)
            box.setEnabled(("member.private.own" if private else "member.edit.own")
                           in self.view.may)
            self.file_boxes[field] = box
            self.add_row(field, t(label), box)

    def _manager_rows(self, advisors: list[tuple[uuid.UUID, str]],
                      tier_choices: list[tuple[str, str, str]], lang: str) -> None:
        may = self.view.may
        # Ids as text: a combo finds Python objects by identity, not by value.
        self.advisor = _combo([("", t("— none —"))]
                              + [(str(staff_id), label) for staff_id, label in advisors])
        self.advisor.setCurrentIndex(max(self.advisor.findData(str(self.view.advisor_id)), 0))
        if "member.advisor.assign" in may:
            self.add_row("advisor_id", t("Advisor"), self.advisor)
        self.tier = _combo([("", t("— no override —"))] + [
            (code, zh if lang == "zh" else en) for code, zh, en in tier_choices])
        self.tier.setCurrentIndex(max(self.tier.findData(self.view.tier_override_code or ""),
                                      0))
        self.tier_reason = QLineEdit()
        self.tier_reason.setPlaceholderText(t("Why (required for a change)"))
        if "tier.override" in may:
            self.add_row("tier_override", t("Tier override"), self.tier)
            self.add_row("tier_reason", t("Reason"), self.tier_reason)
        self.merge_from = QLineEdit()
        self.merge_from.setPlaceholderText(t("Member no. of a duplicate record of this person"))
        self.merge_from.setToolTip(t("Its history, points, phones, cards and preferences move "
                                     "here; the duplicate is then deleted."))
        if "member.merge" in may:
            self.add_row("merge_from", t("Merge duplicate"), self.merge_from)

    # -- the draft ----------------------------------------------------------------------

    def draft(self) -> MemberChanges:
        changes = MemberChanges()
        if "member.edit.own" in self.view.may:
            self._contact_changes(changes)
            changes.phones_add = split_list(self.phones_add.text())
            changes.phones_remove = _ticked(self.phone_list)
            changes.cards_add = split_list(self.cards_add.text())
            changes.cards_remove = _ticked(self.card_list)
        for field, box in self.file_boxes.items():
            if box.isEnabled() and box.toPlainText().strip() != self.view.file.get(field, ""):
                changes.file[field] = box.toPlainText()
        if "member.preference.own" in self.view.may:
            self._preference_changes(changes)
        if "member.advisor.assign" in self.view.may \
                and _staff_id(self.advisor) != self.view.advisor_id:
            changes.advisor_id = _staff_id(self.advisor)
        if "tier.override" in self.view.may and (
                (self.tier.currentData() or None) != self.view.tier_override_code):
            changes.tier_override = (self.tier.currentData() or None, self.tier_reason.text())
        if "member.merge" in self.view.may:
            changes.merge_from = self.merge_from.text().strip() or None
        return changes

    def _contact_changes(self, changes: MemberChanges) -> None:
        v = self.view
        now = {"name_zh": self.name_zh.text().strip() or None,
               "name_latin": self.name_latin.text().strip() or None,
               "gender": self.gender.currentData() or None,
               "email": self.email.text().strip() or None,
               "address": self.address.text().strip() or None}
        changes.contact = {k: value for k, value in now.items() if value != getattr(v, k)}
        if {"name_zh", "name_latin"} & set(changes.contact):  # a name needs one of both
            changes.contact.update(name_zh=now["name_zh"], name_latin=now["name_latin"])
        birthday = self.birthday_of(self.birthday.text())
        if self.birthday.text().strip() and birthday is None:
            return  # not a date: validate says so
        if birthday != v.birthday:
            changes.contact["birthday"] = birthday

    def _preference_changes(self, changes: MemberChanges) -> None:
        """Lines kept as they were keep their record (who and when); a changed or new
        line is a new record; a deleted line removes its record."""
        wanted = parse_preferences(self.preferences.toPlainText())
        remaining = list(wanted)
        for pref in self.view.preferences:
            if (pref.tag, pref.value) in remaining:
                remaining.remove((pref.tag, pref.value))
            else:
                changes.prefs_remove.append(pref.id)
        changes.prefs_add = remaining

    def validate(self, draft: MemberChanges) -> list[FieldError]:
        return self.birthday_errors(self.birthday.text()) + self.service.validate_changes(draft)

    def save(self, draft: MemberChanges) -> Callable[[], Any]:
        service, member_id = self.service, self.view.member_id
        return lambda: service.apply(member_id, draft)

    def confirmation(self, result: list[str]) -> str:
        if not result:
            return t("Nothing changed.")
        return t("Saved: %1").replace("%1", self.name)


def _staff_id(box: QComboBox) -> uuid.UUID | None:
    data = box.currentData()
    return uuid.UUID(data) if data else None


def _ticked(box: QListWidget) -> list[Any]:
    return [box.item(i).data(Qt.ItemDataRole.UserRole) for i in range(box.count())
            if box.item(i).checkState() == Qt.CheckState.Checked]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class MemberForms(QObject):
    """Opens the register form (the notice's button, Ctrl+N) and the edit form (the
    card's 编辑资料… button, Ctrl+E). `dialog` is the last one opened (tests drive it)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.ops: Ops = window.ops
        self.service = MemberDesk(window.desk)
        self.dialog: MemberFormBase | None = None
        window.placeholder.sig_register_requested.connect(self.open_register)
        window.card.sig_edit_requested.connect(self.open_edit)
        self.register_keys = QShortcut(QKeySequence(REGISTER_KEYS), window)
        self.register_keys.activated.connect(self._register_from_search)
        self.edit_keys = QShortcut(QKeySequence(EDIT_KEYS), window)
        self.edit_keys.activated.connect(self.open_edit)

    def _usable(self) -> bool:
        return not self.window.gate.locked

    def _register_from_search(self) -> None:
        placeholder = self.window.placeholder
        self.open_register(placeholder.searched if self.window.card.profile is None else "")

    def open_register(self, query: str = "") -> RegisterDialog | None:
        if not self._usable():
            return None
        dialog = RegisterDialog(self.service, self.ops, query, self.window)
        dialog.sig_saved.connect(lambda result: self._registered(dialog, result))
        dialog.sig_open_member.connect(self.window.open_member_id)
        self._show(dialog)
        return dialog

    def _registered(self, dialog: RegisterDialog, result: Registered) -> None:
        self.window.open_member_id(result.member_id)
        self.window.status_message.setText(dialog.confirmation(result))

    def open_edit(self) -> None:
        """Load what the form shows (off the UI thread), then open it."""
        profile = self.window.card.profile
        if profile is None or not self._usable() or not self.window.card.isVisible():
            return
        service, member_id = self.service, profile.member_id
        assign, override = service.may("member.advisor.assign"), service.may("tier.override")

        def load() -> tuple[EditView, list[tuple[uuid.UUID, str]], list[tuple[str, str, str]]]:
            return (service.edit_view(member_id), service.advisors() if assign else [],
                    service.tier_choices() if override else [])

        self.ops.mutate(load, self._edit_loaded)  # the edit view is audited: a write

    def _edit_loaded(self, loaded: tuple[EditView, list[tuple[uuid.UUID, str]],
                                         list[tuple[str, str, str]]]) -> None:
        view, advisors, tier_choices = loaded
        profile = self.window.card.profile
        if profile is None or profile.member_id != view.member_id or not self._usable():
            return  # the card changed (or the desk locked) while loading
        dialog = EditDialog(self.service, self.ops, view, advisors, tier_choices,
                            self.window.lang, self.window)
        dialog.sig_saved.connect(lambda result: self._edited(dialog, result))
        self._show(dialog)

    def _edited(self, dialog: EditDialog, result: list[str]) -> None:
        self.window.status_message.setText(dialog.confirmation(result))

    def _show(self, dialog: MemberFormBase) -> None:
        self.dialog = dialog
        self.window.gate.sig_locked.connect(dialog.discard)
        dialog.open()

