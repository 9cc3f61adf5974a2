"""Printing through the real print service: CUPS with CUPS-PDF queues of our own."""

from __future__ import annotations

import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cardkit import SAMPLE, raster, wait_for_output
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.desk.cards import CardPrintError, CardService
from vipdesk.models import CareContact, Member
from vipdesk.printing import cups
from vipdesk.printing.render import render_card
from vipdesk.printing.templates import load_templates
from vipdesk.services.auth import SYSTEM
from vipdesk.services.clock import FixedClock

CLOCK = FixedClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))


@pytest.fixture
def card_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "card.pdf"
    path.write_bytes(render_card(SAMPLE, load_templates()["black"]).pdf)
    return path


def test_status_parsing_understands_stopped_rejecting_and_missing() -> None:
    stopped = cups.parse_status(
        "Desk", "printer Desk disabled since Wed 25 Nov -\n\tPaused\n",
        "Desk accepting requests since Wed 25 Nov\n")
    assert (stopped.exists, stopped.enabled, stopped.accepting, stopped.reason) == (
        True, False, True, "Paused")
    idle = cups.parse_status("Desk", "printer Desk is idle.  enabled since Wed\n",
                             "Desk not accepting requests since Wed -\n\tRejecting Jobs\n")
    assert idle.enabled and not idle.accepting and not idle.ready
    assert not cups.parse_status("Desk", "printer Desk2 is idle.\n", "").exists


def test_a_card_printed_on_the_cups_pdf_queue_comes_out_card_sized(
        cups_pdf_queue: str, card_pdf: Path) -> None:
    since = time.time()
    result = cups.submit(card_pdf, cups_pdf_queue, title="vipdesk test card")
    assert result.ok, result.message
    assert result.printer == cups_pdf_queue and result.job_id
    out = wait_for_output(result.job_id, since)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True,
                          check=True, timeout=30).stdout
    assert "255 x 153 pts" in info  # 90 × 54 mm
    image = raster(out.read_bytes(), dpi=50)
    assert len(image.getcolors(maxcolors=1 << 20) or ()) > 10, "printed page is blank"


def test_a_stopped_printer_is_a_clear_error_and_the_job_is_not_left_waiting(
        cups_pdf_queue: str, card_pdf: Path) -> None:
    subprocess.run(["cupsdisable", cups_pdf_queue], check=True, timeout=10)
    result = cups.submit(card_pdf, cups_pdf_queue)
    assert not result.ok and result.job_id is None
    assert f"Printer “{cups_pdf_queue}” is stopped" in result.message
    assert "retry" in result.message and "save the PDF" in result.message
    queued = subprocess.run(["lpstat", "-o", cups_pdf_queue], capture_output=True, text=True,
                            timeout=10).stdout
    assert queued.strip() == ""


def test_a_printer_that_rejects_jobs_is_a_clear_error(cups_pdf_queue: str,
                                                      card_pdf: Path) -> None:
    subprocess.run(["cupsreject", cups_pdf_queue], check=True, timeout=10)
    result = cups.submit(card_pdf, cups_pdf_queue)
    assert not result.ok and "is not accepting jobs" in result.message


def test_a_missing_printer_is_a_clear_error(cups_ready: None, card_pdf: Path) -> None:
    name = f"NOPE_{uuid.uuid4().hex[:6]}"
    result = cups.submit(card_pdf, name)
    assert not result.ok and result.message.startswith(f"Printer “{name}” does not exist")


def test_issuing_on_a_stopped_printer_logs_nothing_then_retry_works(
        cups_pdf_queue: str, demo_copy: Engine) -> None:
    with Session(demo_copy) as s:
        wang = s.scalars(select(Member.id).where(Member.member_no == "M0000001")).one()
    service = CardService(demo_copy, clock=CLOCK)

    def logged() -> int:
        with Session(demo_copy) as s:
            return len(s.scalars(select(CareContact).where(
                CareContact.member_id == wang, CareContact.kind == "welcome_card")).all())

    subprocess.run(["cupsdisable", cups_pdf_queue], check=True, timeout=10)
    with pytest.raises(CardPrintError, match="is stopped"):
        service.issue(SYSTEM, wang, cups_pdf_queue)
    assert logged() == 0
    subprocess.run(["cupsenable", cups_pdf_queue], check=True, timeout=10)
    since = time.time()
    issued = service.issue(SYSTEM, wang, cups_pdf_queue)
    assert logged() == 1 and issued.job_id
    wait_for_output(issued.job_id, since)


def test_printers_are_listed_with_the_default_first(cups_pdf_queue: str) -> None:
    names = cups.list_printers()
    assert cups_pdf_queue in names
    default = cups.default_printer()
    if default:
        assert names[0] == default
