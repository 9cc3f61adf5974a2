"""UI fixtures: a desk window on a copy-free, read-only demo lounge."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.db import open_desk_db
from vipdesk.desk import Desk
from vipdesk.models import Staff
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
from vipdesk.services.staff import set_demo_pins
from vipdesk.ui import i18n
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops


@pytest.fixture(autouse=True)
def _reads_must_not_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """A `query` job that writes fails the test (the app only logs it)."""
    monkeypatch.setattr(Ops, "reads_must_not_write", True)


@pytest.fixture(autouse=True)
def _gc_on_the_gui_thread(gc_on_the_gui_thread: None) -> None:
    """Every window test collects garbage on the GUI thread only (tests/conftest.py)."""


@pytest.fixture
def desk(demo_engine: Engine) -> Desk:
    return Desk(demo_engine, clock=FixedClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC)))


@pytest.fixture
def window(qtbot, desk: Desk) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    ops = Ops()
    lang = i18n.install("zh")
    win = MainWindow(desk, ops, lang)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    ops.shutdown()
    i18n.install("en")


MANAGER_NOW = datetime(2026, 11, 25, 7, 20, tzinfo=UTC)  # 15:20 in Shanghai


def staff_actor(engine: Engine, staff_no: str) -> Actor:
    """The Actor a demo staff member signs in as (S001 manager, S005 lounge staff…)."""
    with Session(engine) as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == staff_no)).one()
        return Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)


@pytest.fixture
def mgr_desk(demo_copy: Engine) -> Desk:
    """A writable demo lounge with manager S001 (周婷) at the desk, at 15:20."""
    return Desk(demo_copy, clock=FixedClock(MANAGER_NOW), actor=staff_actor(demo_copy, "S001"))


@pytest.fixture
def win(qtbot, mgr_desk: Desk) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """The manager's window on that lounge, shown and active (F-keys reach it)."""
    yield from active_window(qtbot, mgr_desk)


def active_window(qtbot: Any, desk: Desk) -> Iterator[MainWindow]:
    """A Chinese window on `desk`, shown and active, closed down after the test (a
    fixture's body: `yield from` it)."""
    ops = Ops()
    window = MainWindow(desk, ops, i18n.install("zh"))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    yield window
    window.manager.board.stop()
    ops.shutdown()
    i18n.install("en")


@pytest.fixture
def gated(qtbot: Any, demo_db: Path, tmp_path: Path) -> Iterator[MainWindow]:
    """A window that asks for sign-in, on a writable demo lounge with the demo PINs set."""
    path = tmp_path / "desk.db"
    shutil.copy(demo_db, path)
    engine = open_desk_db(path)
    with Session(engine) as s, s.begin():
        set_demo_pins(s)
    desk = Desk(engine, clock=FixedClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC)))
    ops = Ops()
    win = MainWindow(desk, ops, i18n.install("zh"), require_sign_in=True)
    qtbot.addWidget(win)
    win.show()
    yield win
    ops.shutdown()
    engine.dispose()
    i18n.install("en")


def sign_in(qtbot: Any, win: MainWindow, staff_no: str, secret: str) -> None:
    """Type into the lock screen and press sign in, as staff would."""
    screen = win.gate.screen
    screen.staff_no.setText(staff_no)
    screen.secret.setText(secret)
    screen.submit()
