"""Check-out and points from the member card, on a writable demo lounge (manager S001)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from vipdesk.desk import Desk
from vipdesk.models import Member, PointsEntry, Visit
from vipdesk.ui.history_forms import CheckInDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.points_forms import CheckOutDialog, PointsDialog


def _member_not_here(desk: Desk) -> str:
    """A member with some points who has not checked in today."""
    with desk.factory() as s:
        rows = s.execute(select(Member.id, Member.member_no).order_by(Member.member_no)
                         .limit(50)).all()
    for member_id, member_no in rows:
        if not desk.visits.is_checked_in(member_id) and desk.points.balance(member_id) > 0:
            return str(member_no)
    raise AssertionError("no member away with points in the demo lounge")


def _open(qtbot: Any, win: MainWindow) -> None:
    member_no = _member_not_here(win.desk)
    win.open_member(win.desk.members.search(member_no).hits[0])
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.member_no == member_no, timeout=5000)


def _entries(desk: Desk) -> int:
    with desk.factory() as s:
        return int(s.scalar(select(func.count()).select_from(PointsEntry)) or 0)


def _points_dialog(qtbot: Any, win: MainWindow) -> PointsDialog:
    win.card.points_button.click()
    dialog = win.points_forms.dialog
    assert isinstance(dialog, PointsDialog)
    assert win.card.profile is not None
    balance = win.desk.points.balance(win.card.profile.member_id)
    qtbot.waitUntil(lambda: dialog.balance_label.text() == f"{balance:,}", timeout=5000)
    return dialog


def test_check_in_then_out_shows_then_hides_the_button(qtbot: Any, win: MainWindow) -> None:
    _open(qtbot, win)
    card = win.card
    assert card.profile is not None
    member_id = card.profile.member_id
    assert not card.check_out_button.isVisibleTo(card)
    card.check_in_button.click()
    check_in = win.history_forms.dialog
    assert isinstance(check_in, CheckInDialog)
    check_in.ok.click()
    qtbot.waitUntil(lambda: card.check_out_button.isVisibleTo(card), timeout=5000)
    assert not card.check_in_button.isVisibleTo(card)  # one open visit at a time
    card.check_out_button.click()
    dialog = win.points_forms.dialog
    assert isinstance(dialog, CheckOutDialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter confirms
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: not card.check_out_button.isVisibleTo(card), timeout=5000)
    assert card.check_in_button.isVisibleTo(card)
    with win.desk.factory() as s:
        visit = s.scalars(select(Visit).where(Visit.member_id == member_id)
                          .order_by(Visit.checked_in_at.desc())).first()
    assert visit is not None and visit.checked_out_at is not None
    assert not win.desk.visits.is_checked_in(member_id)


def test_redeeming_more_than_the_balance_is_refused_and_nothing_written(
        qtbot: Any, win: MainWindow) -> None:
    _open(qtbot, win)
    before = _entries(win.desk)
    dialog = _points_dialog(qtbot, win)
    assert dialog.action.findData("adjust") >= 0  # a manager may adjust
    dialog.action.setCurrentIndex(dialog.action.findData("redeem"))
    dialog.reason.setText("兑换礼品")
    dialog.amount.setValue(dialog.balance + 1)
    error = dialog.errors["points"]
    assert error.isVisible() and "积分不足" in error.text()
    assert not dialog.is_valid()
    # The balance shown is stale (another desk spent the points): the service refuses.
    dialog.balance += 1
    dialog.revalidate()
    assert dialog.is_valid()
    dialog.ok.click()
    # Refused in words; the real balance is fetched again and the live check flags it.
    qtbot.waitUntil(lambda: "积分不足" in dialog.general.text()
                    and not dialog.is_valid(), timeout=5000)
    assert "积分不足" in error.text()
    assert dialog.isVisible()
    assert _entries(win.desk) == before


def test_earning_100_raises_the_cards_points(qtbot: Any, win: MainWindow) -> None:
    _open(qtbot, win)
    assert win.card.profile is not None
    before = win.card.profile.points
    dialog = _points_dialog(qtbot, win)
    dialog.action.setCurrentIndex(dialog.action.findData("earn"))
    dialog.amount.setValue(100)
    assert dialog.is_valid()  # no reason needed to earn
    dialog.ok.click()
    qtbot.waitUntil(lambda: win.card.profile is not None
                    and win.card.profile.points == before + 100, timeout=5000)
    first = win.card.timeline.entries[0]
    assert first.kind == "points"
    assert f"{before + 100:,}" in win.card.facts.text()
    assert not dialog.isVisible()
