"""Editing a member's file at the desk (编辑资料…); opened by `member_forms.py`.

What the signed-in person may not change is shown read-only or not at all (the
private file); the service checks every part again when saving."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QWidget,
)

from vipdesk.services.member_edit import EditView, MemberChanges, MemberDesk
from vipdesk.services.validation import FieldError
from vipdesk.ui.i18n import t
from vipdesk.ui.member_card import FILE_FIELDS
from vipdesk.ui.member_form_base import (
    MemberFormBase,
    chosen_staff,
    combo,
    gender_box,
    parse_preferences,
    pref_line,
    recorded,
    split_list,
)
from vipdesk.ui.ops import Ops

PRIVATE_FIELDS = ("family", "lifestyle")


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
        self.gender = gender_box()
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
            _escape(pref_line(p.tag, p.value) + recorded(p.by, p.at, self.service.desk.tz))
            for p in prefs))
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
        self.advisor = combo([("", t("— none —"))]
                              + [(str(staff_id), label) for staff_id, label in advisors])
        self.advisor.setCurrentIndex(max(self.advisor.findData(str(self.view.advisor_id)), 0))
        if "member.advisor.assign" in may:
            self.add_row("advisor_id", t("Advisor"), self.advisor)
        self.tier = combo([("", t("— no override —"))] + [
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
                and chosen_staff(self.advisor) != self.view.advisor_id:
            changes.advisor_id = chosen_staff(self.advisor)
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


def _ticked(box: QListWidget) -> list[Any]:
    return [box.item(i).data(Qt.ItemDataRole.UserRole) for i in range(box.count())
            if box.item(i).checkState() == Qt.CheckState.Checked]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


