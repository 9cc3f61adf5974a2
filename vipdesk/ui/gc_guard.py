"""Garbage collection on the GUI thread only.

Python runs its cyclic collector in whichever thread happens to allocate when a threshold
is crossed — often one of `ops.py`'s workers. If that collection frees a cycle holding a
Qt wrapper, the C++ object is destroyed on the worker thread and PySide crashes (seen in
the test suite). So the app turns automatic collection off and collects on a GUI-thread
timer instead (Anki does the same for the same reason).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 2_000


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        self.timer.start(interval_ms)

    def collect(self) -> None:
        # Young generations only on the timer: cheap, and old cycles are rare here.
        gc.collect(1)

    def stop(self) -> None:
        self.timer.stop()
        gc.collect()
        gc.enable()
