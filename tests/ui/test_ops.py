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


class _Widgetlike:
    """Notes the thread its last reference died on (a widget deleted off the UI thread
    crashes Qt), and which of its callbacks the lanes called."""

    def __init__(self, freed_on_ui_thread: list[bool], answers: list[str]) -> None:
        self.freed_on_ui_thread, self.answers = freed_on_ui_thread, answers

    def __del__(self) -> None:
        self.freed_on_ui_thread.append(threading.current_thread() is threading.main_thread())

    def show(self, _value: Any) -> None:
        self.answers.append("shown")

    def fail(self, error: BaseException) -> None:
        self.answers.append(f"failed: {error}")


def _raise_for(_holder: _Widgetlike) -> None:
    raise ValueError("refused")


def test_what_a_job_holds_is_released_on_the_ui_thread(qtbot: Any) -> None:
    """The job's function and callbacks die where the widgets they hold live — also
    when the job failed (its traceback held the function's frame)."""
    ops = Ops()
    freed: list[bool] = []
    answers: list[str] = []
    jobs = 300
    for number in range(jobs):
        holder = _Widgetlike(freed, answers)
        if number % 3:
            ops.query(lambda holder=holder: None, holder.show)  # type: ignore[misc]
        else:
            ops.mutate(lambda holder=holder: _raise_for(holder),  # type: ignore[misc]
                       holder.show, holder.fail)
        del holder
    qtbot.waitUntil(lambda: len(freed) == jobs, timeout=20_000)
    ops.shutdown()
    assert freed.count(False) == 0
    # Every job was answered, the failures with the failure itself (minus its traceback).
    assert sorted(set(answers)) == ["failed: refused", "shown"]
    assert answers.count("shown") == 200 and answers.count("failed: refused") == 100
