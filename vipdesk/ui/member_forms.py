"""Registering a new VIP and editing a member's file at the desk (SPEC §2).

- **Register** (登记新会员): from the "not found" notice's button or Ctrl+N after a search
  that found nobody; the phone, card or name typed is carried into the form. The customer's
  consent is a required tick. While people type, the form looks for the same person (same
  phone, card, or name and birthday) and offers to open that member instead; the service
  refuses a phone or card already on file, and a name + birthday match needs the tick
  "a different person". After saving, the new member's card opens and the results list
  shows them, selected, as if the search had found them.
- **Edit** (编辑资料…, Ctrl+E on the card): contact details, phones and cards (tick to
  remove, type to add), preferences one per line ("饮品：龙井"; a changed line is a new
  record with who and when), the file, the advisor (managers) and a tier override with a
  reason (managers). What the signed-in person may not change is shown read-only or not
  at all (the private file); the service checks every part again when saving.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QKeySequence, QShortcut

from vipdesk.services.member_edit import EditView, MemberDesk, Registered
from vipdesk.ui.edit_member_form import EditDialog
from vipdesk.ui.empty_state import REGISTER_KEYS
from vipdesk.ui.member_form_base import MemberFormBase
from vipdesk.ui.ops import Ops
from vipdesk.ui.register_member_form import RegisterDialog

EDIT_KEYS = "Ctrl+E"


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
        dialog.sig_open_member.connect(lambda member_id: self._open_instead(dialog, member_id))
        self._show(dialog)
        return dialog

    def _registered(self, dialog: RegisterDialog, result: Registered) -> None:
        """The new member's card opens and the list beside it shows them, as if the
        search that found nobody had found them."""
        self.window.open_member_id(result.member_id)
        self._list(dialog, result.member_id, result.member_no)
        self.window.status_message.setText(dialog.confirmation(result))

    def _open_instead(self, dialog: RegisterDialog, member_id: uuid.UUID) -> None:
        """The member already on file, opened from the form: listed as a found one too."""
        self.window.open_member_id(member_id)
        self._list(dialog, member_id, next(
            (m.member_no for m in dialog.matches if m.member_id == member_id), ""))

    def _list(self, dialog: RegisterDialog, member_id: uuid.UUID, member_no: str) -> None:
        """What finds them if the search typed no longer does (the form took another
        number): a phone or card of the form (on file: unique), the name, the number."""
        draft = dialog.draft()
        self.window.list_member(member_id, [*draft.phones, *draft.cards, member_no,
                                            draft.name_zh or "", draft.name_latin or ""])

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

