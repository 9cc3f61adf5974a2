"""The window stays live as the chain changes: two reception PCs of one lounge share the
real PostgreSQL centre; what desk B records appears on desk A's open card, queue board
and care list after A's next sync round, with nobody at A touching anything."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.sync.helpers import edit_member, new_member
from vipdesk.config import Config
from vipdesk.db import session_factory, unit_of_work
from vipdesk.desk import Desk
from vipdesk.models import Staff, Store
from vipdesk.services.auth import Actor
from vipdesk.sync.central import Centre
from vipdesk.sync.engine import sync_once
from vipdesk.sync.runner import SyncRunner
from vipdesk.ui import i18n
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops

pytestmark = pytest.mark.usefixtures("gc_on_the_gui_thread")  # the window's workers


def _lounge(desk: Engine) -> Actor:
    """Store SH01 and its manager, written on one desk (they sync like any record)."""
    with unit_of_work(session_factory(desk)) as s:
        store = Store(code="SH01", name="上海恒隆广场店")
        s.add(store)
        s.flush()
        manager = Staff(staff_no="S001", name="周婷", role="manager", store_id=store.id)
        s.add(manager)
        s.flush()
        return Actor(manager.id, "manager", manager.name, store.id, "S001", desk="A")


def _care_kinds(window: MainWindow, member_id: uuid.UUID) -> list[str]:
    return [item.kind for item in window.manager.care.model.listed
            if item.member_id == member_id]


def _sync_until(qtbot: Any, runner: SyncRunner, shown: Callable[[], bool]) -> None:
    """Rounds of the app's own runner (its listeners run on this, the GUI, thread) as its
    timer would run them, until the window shows the change. More than one round only
    when a transaction elsewhere on the server holds the pull's watermark back."""
    for _ in range(20):
        asyncio.run(runner.run_once())
        with contextlib.suppress(qtbot.TimeoutError):
            qtbot.waitUntil(shown, timeout=500)
            return
    raise AssertionError("the window never showed the pulled change")


@pytest.fixture
def desks(centre: Centre, make_desk: Any) -> tuple[Desk, Desk, uuid.UUID]:
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    actor = _lounge(a)
    member_id = new_member(a, "M1", name="王芳")
    edit_member(a, member_id, tier_code="diamond", home_store_id=actor.store_id)  # cared for here
    sync_once(a, centre, "SH01")
    sync_once(b, centre, "SH01")
    return Desk(a, actor=actor), Desk(b, actor=Actor(**{**actor.__dict__, "desk": "B"})), \
        member_id


def test_what_desk_b_records_appears_on_desk_a_without_a_touch(
        qtbot: Any, centre: Centre, desks: tuple[Desk, Desk, uuid.UUID]) -> None:
    desk_a, desk_b, member_id = desks
    ops = Ops()
    window = MainWindow(desk_a, ops, i18n.install("zh"))
    qtbot.addWidget(window)
    window.show()
    runner = SyncRunner(desk_a.engine, Config(store="SH01"), centre_factory=lambda: centre)
    runner.subscribe(window.show_sync_status)
    window.open_member_id(member_id)
    qtbot.waitUntil(lambda: window.card.profile is not None, timeout=5000)
    assert window.card.profile.timeline == []
    assert not window.card.check_out_button.isVisibleTo(window.card)
    window.show_mode("queue")
    qtbot.waitUntil(lambda: ops._pending == 0, timeout=5000)
    assert window.manager.board.model.rowCount() == 0

    desk_b.visits.check_in(member_id, "browse", None)  # at the other PC
    desk_b.queue.add(member_id, "fitting_room", appointment=False)
    sync_once(desk_b.engine, centre, "SH01")
    _sync_until(qtbot, runner, lambda: window.manager.board.model.rowCount() == 1)
    window.show_mode("desk")
    qtbot.waitUntil(lambda: window.card.profile is not None
                    and [e.kind for e in window.card.profile.timeline] == ["visit"], timeout=5000)
    assert window.card.check_out_button.isVisibleTo(window.card)  # here now: check-out

    window.show_mode("care")
    qtbot.waitUntil(lambda: ops._pending == 0, timeout=5000)
    before = _care_kinds(window, member_id)
    soon = desk_a.today() + timedelta(days=3)  # B notes the birthday: a greeting is due
    edit_member(desk_b.engine, member_id, birthday=soon.replace(year=1985))
    sync_once(desk_b.engine, centre, "SH01")
    _sync_until(qtbot, runner, lambda: _care_kinds(window, member_id) == [*before, "birthday"])
    ops.shutdown()
    i18n.install("en")
