"""The window of a store abroad shows its own clock: the demo lounge's store moved to
Paris, a guest checked in at 07:20 UTC is "in the lounge since 08:20" — on the card, in
the status bar, in the strip, on the timeline and on the queue board — not 15:20."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, update

from tests.ui.conftest import MANAGER_NOW, active_window, staff_actor
from tests.ui.test_lounge_strip import WANG, check_in_by_keyboard, open_member
from vipdesk.desk import Desk
from vipdesk.models import Store
from vipdesk.services.clock import FixedClock
from vipdesk.ui.main_window import MainWindow


@pytest.fixture
def paris_win(qtbot: Any, demo_copy: Engine) -> Iterator[MainWindow]:
    with demo_copy.begin() as conn:  # the store row as the centre would send it
        conn.execute(update(Store).where(Store.code == "SH01").values(timezone="Europe/Paris"))
    desk = Desk(demo_copy, clock=FixedClock(MANAGER_NOW), actor=staff_actor(demo_copy, "S001"))
    yield from active_window(qtbot, desk)


def test_a_paris_lounge_shows_paris_time_everywhere(qtbot: Any, paris_win: MainWindow
                                                    ) -> None:
    win = paris_win
    assert win.desk.tz == "Europe/Paris"
    name = open_member(qtbot, win, WANG)
    check_in_by_keyboard(qtbot, win)
    qtbot.waitUntil(lambda: win.card.in_lounge.isVisible(), timeout=5000)
    assert win.card.in_lounge.text() == "在店 · 08:20 起"  # 07:20 UTC in Paris
    assert "08:20" in win.status_message.text()
    member_id = win.desk.members.search(WANG).hits[0].member_id
    qtbot.waitUntil(lambda: win.lounge_strip.chip_for(member_id) is not None, timeout=5000)
    chip = win.lounge_strip.chip_for(member_id)
    assert chip is not None and chip[0].text() == f"{name} · 08:20"
    model = win.card.timeline
    qtbot.waitUntil(lambda: any("2026-11-25 08:20" in str(model.index(r).data())
                                for r in range(model.rowCount())), timeout=5000)
    assert not any("15:20" in str(model.index(r).data()) for r in range(model.rowCount()))

    win.desk.queue.add(member_id, "advisor", appointment=False)
    board = win.manager.board
    board.refresh()
    qtbot.waitUntil(lambda: board.model.rowCount() > 0, timeout=5000)
    arrived = {board.model.index(r, 4).data() for r in range(board.model.rowCount())}
    assert "08:20" in arrived
