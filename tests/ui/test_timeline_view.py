"""The member's history list under the desk's real style sheet."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QFrame, QListView, QVBoxLayout

from vipdesk.services.timeline import TimelineEntry
from vipdesk.ui import theme
from vipdesk.ui.timeline_view import TimelineModel


@pytest.fixture
def styled() -> Iterator[QApplication]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    font = app.font()
    theme.apply(app, screen_height=768)
    yield app
    app.setStyleSheet("")
    app.setFont(font)


def _entries() -> list[TimelineEntry]:
    kinds = ("visit", "purchase", "complaint", "tier", "points")
    return [TimelineEntry(kind, uuid.uuid4(), datetime(2026, 11, 20, 3, i, tzinfo=UTC),
                          "120000", "爱喝正山小种，不加糖") for i, kind in enumerate(kinds)]


def _ink(image: QImage, x0: int, y0: int, x1: int, y1: int) -> int:
    """Pixels dark enough to be text (the row's backgrounds are all pale)."""
    return sum(1 for x in range(x0, x1) for y in range(y0, y1)
               if QColor(image.pixel(x, y)).lightness() < 120)


@pytest.mark.parametrize("focused", [True, False])
def test_a_selected_row_keeps_its_text(qtbot: Any, styled: QApplication, focused: bool) -> None:
    card = QFrame()
    card.setObjectName("memberCard")  # the list sits on the card, as in the window
    view = QListView()
    view.setObjectName("timeline")
    view.setWordWrap(True)
    QVBoxLayout(card).addWidget(view)
    model = TimelineModel(view)
    view.setModel(model)
    model.reset(_entries(), page_size=50)
    qtbot.addWidget(card)
    card.resize(600, 420)
    card.show()
    qtbot.waitExposed(card)
    view.setCurrentIndex(model.index(1))
    if focused:
        view.setFocus()
    QApplication.processEvents()
    image = card.grab().toImage()  # the list is transparent: the card is its background
    viewport = view.viewport()
    selected, plain = (view.visualRect(model.index(row)).translated(
        viewport.mapTo(card, viewport.rect().topLeft())) for row in (1, 3))
    assert selected.height() == plain.height()  # two lines, like its neighbours
    ink = _ink(image, selected.left(), selected.top(), selected.right(), selected.bottom())
    neighbour = _ink(image, plain.left(), plain.top(), plain.right(), plain.bottom())
    assert ink > neighbour // 2 > 0
