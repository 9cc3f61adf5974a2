"""Sign-in before anything shows, the lock hides the guest, switching person, scans ignored
while locked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import sign_in
from vipdesk.services.staff import DEMO_PIN
from vipdesk.ui.main_window import MainWindow


def test_desk_starts_locked_and_refuses_a_wrong_pin(qtbot: Any, gated: MainWindow) -> None:
    assert gated.gate.locked
    sign_in(qtbot, gated, "S001", "000000")
    qtbot.waitUntil(lambda: gated.gate.screen.error.text() != "", timeout=10000)
    assert gated.gate.locked
    assert gated.gate.screen.secret.text() == ""  # the secret is not kept


def test_sign_in_then_lock_hides_the_guest_and_ignores_scans(qtbot: Any,
                                                             gated: MainWindow) -> None:
    sign_in(qtbot, gated, "S001", DEMO_PIN)
    qtbot.waitUntil(lambda: not gated.gate.locked, timeout=10000)
    assert gated.desk.actor.role == "manager"
    gated.scan("13800138000")
    qtbot.waitUntil(lambda: gated.card.name.text() == "王小明", timeout=10000)
    gated.status_message.setText("已登记到店：王先生，15:20 起")  # a confirmation's words
    gated.gate.lock()
    assert gated.gate.locked
    assert gated.current is None and gated.search.text() == ""
    assert gated.status_message.text() == ""  # no guest's name under the lock screen
    gated.scan("13800138000")
    assert gated.search.text() == ""


def test_another_person_signs_in_over_the_lock(qtbot: Any, gated: MainWindow) -> None:
    sign_in(qtbot, gated, "S001", DEMO_PIN)
    qtbot.waitUntil(lambda: not gated.gate.locked, timeout=10000)
    gated.gate.lock()
    assert gated.gate.screen.staff_no.text() == "S001"
    sign_in(qtbot, gated, "S005", DEMO_PIN)
    qtbot.waitUntil(lambda: not gated.gate.locked, timeout=10000)
    assert gated.desk.actor.role == "staff"
    assert "张敏" in gated.who.text()


def test_before_sign_in_the_desk_acts_as_nobody(qtbot: Any, gated: MainWindow) -> None:
    from vipdesk.services.auth import NOBODY, PermissionDenied

    assert gated.desk.actor is NOBODY
    assert not gated.manager.conflicts_action.isEnabled()
    with pytest.raises(PermissionDenied):
        gated.desk.members.profile(gated.desk.members.search("13800138000").hits[0].member_id)
    sign_in(qtbot, gated, "S001", DEMO_PIN)
    qtbot.waitUntil(lambda: gated.manager.conflicts_action.isEnabled(), timeout=10000)
