"""The welcome-card preview and dialog, offscreen, with service work on a real worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.desk.cards import CardService
from vipdesk.models import CareContact, Member
from vipdesk.printing.cups import PrintResult
from vipdesk.services.auth import SYSTEM
from vipdesk.services.clock import FixedClock
from vipdesk.ui.ops import Ops
from vipdesk.ui.printing import SETTINGS_PRINTER, CardDialog, CardPreview

CLOCK = FixedClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))


@pytest.fixture
def ops() -> Iterator[Ops]:
    """The window's own helper: work on a worker thread, answers on the UI thread, and
    answers for a dialog already closed are dropped."""
    ops = Ops()
    yield ops
    ops.shutdown()


@pytest.fixture
def background(ops: Ops) -> Callable[..., None]:
    return ops.query


def wang(engine: Engine) -> Any:
    with Session(engine) as s:
        return s.scalars(select(Member.id).where(Member.member_no == "M0000001")).one()


def test_preview_shows_pdf_bytes_and_draws_real_ink(qtbot: Any, demo_engine: Engine) -> None:
    card = CardService(demo_engine, clock=CLOCK).render(wang(demo_engine))
    preview = CardPreview()
    qtbot.addWidget(preview)
    with qtbot.wait_signal(preview.sig_loaded) as loaded:
        assert preview.show_pdf(card.pdf)
    assert loaded.args == [1]
    image = preview.render_page(360)
    assert (image.width(), image.height()) == (360, 216)
    colours = {image.pixel(x, y) for x in range(0, 360, 3) for y in range(0, 216, 3)}
    assert len(colours) > 20
    assert not preview.show_pdf(b"not a pdf")


def test_dialog_prints_remembers_the_printer_and_logs_once(
        qtbot: Any, demo_copy: Engine, ops: Ops, tmp_path: Path) -> None:
    printed: list[str | None] = []

    def printer(pdf: Path, name: str | None, size: Any, title: str) -> PrintResult:
        printed.append(name)
        return PrintResult(True, name or "?", "Desk-1", "ok")

    service = CardService(demo_copy, clock=CLOCK, print_fn=printer)
    settings = QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat)
    dialog = CardDialog(wang(demo_copy), service, SYSTEM, ops.query, settings,
                        record=ops.mutate)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.print_button.isEnabled(), timeout=10_000)
    assert dialog.preview.page_count() == 1
    assert dialog.template_box.currentData() == "black"
    assert "生日" not in dialog.status.text()  # notes are about fonts/fit, not content
    with qtbot.wait_signal(dialog.sig_issued, timeout=10_000):
        qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert printed == [dialog.printer_box.currentText() or None]
    assert "Logged" in dialog.status.text()
    with Session(demo_copy) as s:
        assert len(s.scalars(select(CareContact).where(
            CareContact.kind == "welcome_card")).all()) == 1
    if printed[0]:
        assert settings.value(SETTINGS_PRINTER) == printed[0]


def test_dialog_failed_print_offers_retry_and_save_and_logs_nothing(
        qtbot: Any, demo_copy: Engine, background: Callable[..., None], tmp_path: Path) -> None:
    def stopped(pdf: Path, name: str | None, size: Any, title: str) -> PrintResult:
        return PrintResult(False, name or "Desk", message="Printer “Desk” is stopped.")

    service = CardService(demo_copy, clock=CLOCK, print_fn=stopped)
    settings = QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat)
    dialog = CardDialog(wang(demo_copy), service, SYSTEM, background, settings)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.print_button.isEnabled(), timeout=10_000)
    with qtbot.assert_not_emitted(dialog.sig_issued):
        qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.print_button.text() == "Retry", timeout=10_000)
    assert "is stopped" in dialog.status.text() and "Nothing was logged" in dialog.status.text()
    assert dialog.save_button.isEnabled()
    target = tmp_path / "saved.pdf"
    dialog.save_to(target)
    qtbot.waitUntil(lambda: target.exists() and "Saved" in dialog.status.text(), timeout=10_000)
    assert target.read_bytes() == dialog.card.pdf  # type: ignore[union-attr]
    with Session(demo_copy) as s:
        assert s.scalars(select(CareContact).where(CareContact.kind == "welcome_card")).all() == []


def test_dialog_switches_template(qtbot: Any, demo_engine: Engine, background: Callable[..., None],
                                  tmp_path: Path) -> None:
    service = CardService(demo_engine, clock=CLOCK)
    settings = QSettings(str(tmp_path / "desk.ini"), QSettings.Format.IniFormat)
    dialog = CardDialog(wang(demo_engine), service, SYSTEM, background, settings)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.print_button.isEnabled(), timeout=10_000)
    index = dialog.template_box.findData("diamond")
    dialog.template_box.setCurrentIndex(index)
    dialog.template_box.activated.emit(index)
    qtbot.waitUntil(lambda: dialog.card is not None and dialog.card.template == "diamond",
                    timeout=10_000)
    qtbot.waitUntil(lambda: dialog.print_button.isEnabled(), timeout=10_000)
    assert dialog.preview.page_count() == 1
