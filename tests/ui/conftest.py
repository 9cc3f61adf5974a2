"""UI fixtures: a desk window on a copy-free, read-only demo lounge."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from vipdesk.services.clock import FixedClock
from vipdesk.services.desk import Desk
from vipdesk.ui import i18n
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops


@pytest.fixture
def desk(demo_engine: Engine) -> Desk:
    from datetime import UTC, datetime

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
