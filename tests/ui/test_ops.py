"""The desk's work lanes: answers come back on the UI thread; after shutdown a late
request (a page's timer firing as the window closes) is dropped, not an error."""

from __future__ import annotations

import logging
import threading
from typing import Any

from vipdesk.ui.ops import Ops


def test_answers_come_back_on_the_ui_thread(qtbot: Any) -> None:
    ops = Ops()
    got: list[tuple[int, bool]] = []
    ops.query(lambda: 41 + 1, lambda v: got.append((v, threading.current_thread()
                                                       is threading.main_thread())))
    qtbot.waitUntil(lambda: bool(got))
    assert got == [(42, True)]
    ops.shutdown()


def test_requests_after_shutdown_are_dropped_and_a_write_is_logged(
        qtbot: Any, caplog: Any) -> None:
    ops = Ops()
    ops.shutdown()
    ran: list[str] = []
    with caplog.at_level(logging.WARNING, logger="vipdesk.ui.ops"):
        ops.query(lambda: ran.append("read"), lambda _v: ran.append("answer"))
        ops.mutate(lambda: ran.append("write"), lambda _v: ran.append("answer"))
    qtbot.wait(50)
    assert ran == []
    assert "a write was not started" in caplog.text
