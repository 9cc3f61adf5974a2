"""The queue board's model keeps each row's texts from one refresh to the next: they must
stay what `QueueModel.cell` says, follow a language switch, and the colours and tooltip
must still come per row."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from vipdesk.services.queue import Level, QueueRow
from vipdesk.ui import i18n
from vipdesk.ui.queue_model import HEADERS, LEVEL_COLOURS, QueueModel, RowRole

AT = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def row(position: int, level: Level, state: str = "waiting") -> QueueRow:
    return QueueRow(uuid.uuid4(), position, uuid.uuid4(), f"M{position:04d}", "王小明",
                    "senior", "高级会员", "fitting_room", AT if position == 1 else None, AT,
                    17.5, 15, level, 27.5, state, None, None)


@pytest.fixture
def zh(qtbot: Any) -> Iterator[None]:
    i18n.install("zh")
    yield
    i18n.install("en")


def test_cells_are_the_rows_texts_and_follow_the_language(zh: None) -> None:
    model = QueueModel()
    rows = [row(0, Level.RED, "called"), row(1, Level.AMBER), row(2, Level.OK)]
    model.set_rows(rows)
    for r, queue_row in enumerate(rows):
        for c in range(len(HEADERS)):
            assert model.index(r, c).data() == QueueModel.cell(queue_row, c)
    assert model.index(0, 8).data() == "已叫号" and model.index(1, 5).data() == "17 分钟"
    i18n.install("en")
    model.retranslate()
    assert model.index(0, 8).data() == "Called" and model.index(1, 5).data() == "17 min"
    assert model.index(1, 3).data() == "Fitting room  ✓Appointment"


def test_colours_tooltip_and_row_per_level(zh: None) -> None:
    model = QueueModel()
    rows = [row(1, Level.AMBER), row(2, Level.OK)]
    model.set_rows(rows)
    amber, ok = model.index(0, 2), model.index(1, 2)
    assert amber.data(Qt.ItemDataRole.BackgroundRole).color() == QColor(
        LEVEL_COLOURS[Level.AMBER][0])
    assert amber.data(Qt.ItemDataRole.ForegroundRole).color() == QColor(
        LEVEL_COLOURS[Level.AMBER][1])
    assert amber.data(Qt.ItemDataRole.ToolTipRole)
    assert ok.data(Qt.ItemDataRole.BackgroundRole) is None
    assert ok.data(Qt.ItemDataRole.ToolTipRole) is None
    assert ok.data(RowRole) is rows[1]
    assert amber.data(Qt.ItemDataRole.FontRole) is None
    assert model.data(QModelIndex()) is None
    model.set_rows([])
    assert model.rowCount() == 0
