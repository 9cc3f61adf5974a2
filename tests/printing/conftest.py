"""Printing fixtures: a real CUPS with CUPS-PDF queues (scripts/services.sh makes `PDF`).

In CI (VIPDESK_REQUIRE_PG=1) a missing print service fails the test instead of
skipping it, so a broken setup cannot pass silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from vipdesk.printing import cups

# --import-mode=importlib puts no test folder on sys.path; the card tests share `cardkit`.
sys.path.insert(0, str(Path(__file__).resolve().parent))

def _need(what: str) -> None:
    if os.environ.get("VIPDESK_REQUIRE_PG") == "1":
        pytest.fail(f"{what} (required in CI: run scripts/services.sh first)")
    pytest.skip(what)


def _start_cupsd() -> None:
    if cups.scheduler_running() or not Path("/usr/sbin/cupsd").exists():
        return
    subprocess.run(["/usr/sbin/cupsd"], check=False, timeout=10)
    for _ in range(50):
        if cups.scheduler_running():
            return
        time.sleep(0.1)


def _cups_pdf_ppd() -> list[str]:
    ppd = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
    return ["-P", str(ppd)] if ppd.exists() else ["-m", "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"]


@pytest.fixture(scope="session")
def cups_ready() -> None:
    if shutil.which("lp") is None or shutil.which("lpadmin") is None:
        _need("CUPS client tools are not installed")
    _start_cupsd()
    if not cups.scheduler_running():
        _need("the CUPS scheduler is not running")


@pytest.fixture
def cups_pdf_queue(cups_ready: None) -> Iterator[str]:
    """A CUPS-PDF queue of our own, so stopping it never disturbs anyone's `PDF` queue."""
    name = f"VDTEST_{uuid.uuid4().hex[:8]}"
    made = subprocess.run(["lpadmin", "-p", name, "-E", "-v", "cups-pdf:/", *_cups_pdf_ppd()],
                          capture_output=True, text=True, timeout=20, check=False)
    if made.returncode != 0 or not cups.printer_status(name).exists:
        _need(f"cannot create a CUPS-PDF queue: {made.stderr.strip()}")
    yield name
    subprocess.run(["cancel", "-a", name], capture_output=True, timeout=10, check=False)
    subprocess.run(["lpadmin", "-x", name], capture_output=True, timeout=10, check=False)
