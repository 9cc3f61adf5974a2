"""撤销登记… on the member card, on a writable demo lounge (manager S001 at 15:20 unless a
test signs someone else in): offered only for what the service would void, asks for the
reason, and the card reloads without the visit."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from vipdesk.db import unit_of_work
from vipdesk.models import AuditEntry, Member, Purchase, Staff, Visit
from vipdesk.services.auth import Actor
from vipdesk.ui.history_forms import CheckInDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.void_visit_form import VoidVisitDialog


def _sign_in(win: MainWindow, staff_no: str) -> None:
    with win.desk.factory() as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == staff_no)).one()
        win.desk.actor = Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)


def _member_not_here(win: MainWindow) -> uuid.UUID:
    """A live member with no visit in the last 8 days (nothing voidable yet)."""
    since = win.desk.clock.now() - timedelta(days=8)
    recent = select(Visit.member_id).where(Visit.checked_in_at >= since)
    with win.desk.factory() as s:
        member_id = s.scalar(select(Member.id).where(Member.erased_at.is_(None),
                                                     Member.id.not_in(recent))
                             .order_by(Member.member_no).limit(1))
    assert member_id is not None
    return member_id


def _show(qtbot: Any, win: MainWindow, member_id: uuid.UUID) -> None:
    """Open the card and wait until every question it asked is answered."""
    win.open_member_id(member_id)
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.member_id == member_id, timeout=5000)
    qtbot.waitUntil(lambda: win.busy.text() == "", timeout=5000)


def _check_in(qtbot: Any, win: MainWindow) -> uuid.UUID:
    card = win.card
    card.check_in_button.click()
    dialog = win.history_forms.dialog
    assert isinstance(dialog, CheckInDialog)
    dialog.ok.click()
    qtbot.waitUntil(lambda: card.void_button.isVisibleTo(card), timeout=5000)
    assert card.void_target is not None
    return card.void_target


def _exists(win: MainWindow, visit_id: uuid.UUID) -> bool:
    with win.desk.factory() as s:
        return s.get(Visit, visit_id) is not None


def _void_dialog(win: MainWindow) -> VoidVisitDialog:
    dialog = win.void_visit_forms.dialog
    assert isinstance(dialog, VoidVisitDialog) and dialog.isVisible()
    return dialog


def test_a_manager_takes_back_todays_check_in_from_the_card(qtbot: Any,
                                                           win: MainWindow) -> None:
    _sign_in(win, "S001")  # the manager; lounge staff are not offered it (next test)
    member_id = _member_not_here(win)
    _show(qtbot, win, member_id)
    card = win.card
    assert not card.void_button.isVisibleTo(card)  # nothing checked in today
    visit_id = _check_in(qtbot, win)
    assert card.void_button.text() == "撤销登记…"
    assert card.timeline.entries[0].record_id == visit_id
    card.void_button.click()
    dialog = _void_dialog(win)
    assert dialog.visit_id == visit_id and dialog.ok.text() == "撤销登记"
    assert not dialog.is_valid()  # the reason is required
    dialog.reason.setText("   ")
    assert not dialog.is_valid() and dialog.errors["reason"].text() == "必填"
    dialog.reason.setText("x" * 201)
    assert "最多 200 字" in dialog.errors["reason"].text()
    dialog.reason.setText("选错了会员")
    assert dialog.is_valid()
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: not card.void_button.isVisibleTo(card)
                    and not card.check_out_button.isVisibleTo(card), timeout=5000)
    assert not _exists(win, visit_id)
    assert all(e.record_id != visit_id for e in card.timeline.entries)
    assert "已撤销到店登记" in win.status_message.text()
    with win.desk.factory() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "visit.void")).one()
    assert entry.staff_no == "S001" and entry.detail.endswith("reason: 选错了会员")


def test_advisors_and_lounge_staff_are_not_offered_the_void(qtbot: Any,
                                                            win: MainWindow) -> None:
    member_id = _member_not_here(win)
    _show(qtbot, win, member_id)
    _check_in(qtbot, win)  # by the manager
    with win.desk.factory() as s:
        advisor = s.scalar(select(Staff.staff_no).where(Staff.role == "advisor")
                           .order_by(Staff.staff_no).limit(1))
    assert advisor is not None
    for who in (advisor, "S005"):  # S005: lounge staff delete nothing (SPEC §1)
        _sign_in(win, who)
        _show(qtbot, win, member_id)
        assert not win.card.void_button.isVisibleTo(win.card)
        assert win.card.voidable == frozenset()


def test_a_manager_voids_an_older_visit_from_the_timeline(qtbot: Any,
                                                          win: MainWindow) -> None:
    member_id = _member_not_here(win)
    desk = win.desk
    with unit_of_work(desk.factory) as s:
        old = Visit(member_id=member_id, store_id=desk.actor.store_id, purpose="取表",
                    checked_in_at=desk.clock.now() - timedelta(days=3))
        s.add(old)
    _show(qtbot, win, member_id)
    card = win.card
    qtbot.waitUntil(lambda: old.id in card.voidable, timeout=5000)
    assert not card.void_button.isVisibleTo(card)  # the button is for today's check-in
    row = next(i for i, e in enumerate(card.timeline.entries) if e.record_id == old.id)
    pos = card.history.visualRect(card.timeline.index(row)).center()
    card.history.customContextMenuRequested.emit(pos)
    [action] = card.timeline_menu.actions()
    assert action.text() == "撤销登记…"
    action.trigger()
    card.timeline_menu.close()
    dialog = _void_dialog(win)
    assert dialog.visit_id == old.id
    dialog.reason.setText("重复登记")
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert not _exists(win, old.id)


def test_a_refusal_is_shown_in_words_and_nothing_is_removed(qtbot: Any,
                                                            win: MainWindow) -> None:
    member_id = _member_not_here(win)
    _show(qtbot, win, member_id)
    visit_id = _check_in(qtbot, win)
    win.card.void_button.click()
    dialog = _void_dialog(win)
    # Meanwhile the visit is linked to a purchase (another window, a script).
    desk = win.desk
    with unit_of_work(desk.factory) as s:
        purchase = Purchase(member_id=member_id, occurred_at=desk.clock.now(),
                            amount_cents=120_000)
        s.add(purchase)
    desk.visits.service.link_purchase(desk.actor, visit_id, purchase.id)
    dialog.reason.setText("选错了会员")
    dialog.ok.click()
    qtbot.waitUntil(lambda: "不能撤销" in dialog.general.text(), timeout=5000)
    assert dialog.general.text().startswith("未保存：")
    assert dialog.isVisible() and dialog.is_valid()
    assert _exists(win, visit_id)
    dialog.reject()
