"""Printing a card PDF through CUPS (`lp`), and knowing whether the job was accepted.

Why the PDF goes to CUPS as is, rather than through QPrinter: the card stays vector
with its fonts embedded, `media=Custom.90x54mm` keeps it card-sized, and `lp` returns a
job id — proof the job was queued. QPrinter would rasterise the page (QtPdf renders
to an image), regenerate a PDF and hand it to CUPS without telling us the job id.

A queue that is stopped (`cupsdisable`) still *accepts* jobs and holds them for ever,
so "accepted" here means: the printer exists, is enabled and accepting, `lp` returned a
job id, and the printer was still enabled right after (else the job is cancelled).
Runs on a worker thread or in the CLI; every call has a timeout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_S = 15
_JOB_ID = re.compile(r"request id is (\S+)")


@dataclass(frozen=True)
class PrintResult:
    ok: bool
    printer: str
    job_id: str | None = None
    message: str = ""  # for staff: what happened, and what to do if it failed


@dataclass(frozen=True)
class PrinterStatus:
    name: str
    exists: bool
    enabled: bool = False
    accepting: bool = False
    reason: str = ""

    @property
    def ready(self) -> bool:
        return self.exists and self.enabled and self.accepting


class CupsError(RuntimeError):
    """The print service itself is missing or not running."""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(args[0]) is None:
        raise CupsError(f"the print service is not installed (`{args[0]}` not found; "
                        "Debian: apt-get install cups-client)")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}  # we parse the output
    try:
        return subprocess.run(list(args), capture_output=True, text=True, env=env,
                              timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise CupsError(f"the print service did not answer `{args[0]}` within "
                        f"{TIMEOUT_S} s") from None


def scheduler_running() -> bool:
    try:
        return _run("lpstat", "-r").stdout.strip() == "scheduler is running"
    except CupsError:
        return False


def _require_scheduler() -> None:
    if not scheduler_running():
        raise CupsError("the print service (CUPS) is not running — start it or ask IT")


def list_printers() -> list[str]:
    """Printer names CUPS knows, default first."""
    _require_scheduler()
    names = [n for n in _run("lpstat", "-e").stdout.split() if n]
    default = default_printer()
    return sorted(names, key=lambda n: (n != default, n.lower()))


def default_printer() -> str | None:
    out = _run("lpstat", "-d").stdout.strip()
    match = re.match(r"system default destination: (\S+)", out)
    return match.group(1) if match else None


def parse_status(name: str, printer_out: str, accept_out: str) -> PrinterStatus:
    """`lpstat -p NAME` and `lpstat -a NAME` output (C locale) → status."""
    line = next((ln for ln in printer_out.splitlines() if ln.startswith(f"printer {name} ")),
                "")
    if not line:
        return PrinterStatus(name, exists=False, reason="no such printer")
    reason = " ".join(ln.strip() for ln in printer_out.splitlines()[1:] if ln.strip())
    enabled = " disabled " not in line + " "
    accepting = f"{name} accepting requests" in accept_out
    return PrinterStatus(name, True, enabled, accepting, reason)


def printer_status(name: str) -> PrinterStatus:
    _require_scheduler()
    printer = _run("lpstat", "-p", name)
    if printer.returncode != 0:
        return PrinterStatus(name, exists=False, reason="no such printer")
    return parse_status(name, printer.stdout, _run("lpstat", "-a", name).stdout)


def _not_ready_message(status: PrinterStatus) -> str:
    if not status.exists:
        return f"Printer “{status.name}” does not exist. Choose another printer or save the PDF."
    problem = "is stopped" if not status.enabled else "is not accepting jobs"
    detail = f" ({status.reason})" if status.reason else ""
    return (f"Printer “{status.name}” {problem}{detail}. Start it (or choose another "
            "printer) and retry, or save the PDF.")


def _resolve(printer: str | None) -> str:
    name = printer or default_printer()
    if not name:
        raise CupsError("no printer chosen and this desk has no default printer")
    return name


def submit(pdf: Path, printer: str | None = None, *, media_mm: tuple[float, float] = (90, 54),
           title: str = "vipdesk card") -> PrintResult:
    """Queue the PDF on `printer` (None = the system default). Never raises for a
    printer problem: the result says whether the job was accepted and why not."""
    try:
        _require_scheduler()
        name = _resolve(printer)
    except CupsError as exc:
        return PrintResult(False, printer or "", message=f"Cannot print: {exc}.")
    status = printer_status(name)
    if not status.ready:
        return PrintResult(False, name, message=_not_ready_message(status))
    media = f"Custom.{media_mm[0]:g}x{media_mm[1]:g}mm"
    done = _run("lp", "-d", name, "-t", title, "-o", f"media={media}", "--", str(pdf))
    match = _JOB_ID.search(done.stdout)
    if done.returncode != 0 or not match:
        why = (done.stderr or done.stdout).strip().removeprefix("lp: ")
        return PrintResult(False, name, message=f"The printer refused the card: {why}")
    return _confirm(name, match.group(1))


def _confirm(name: str, job_id: str) -> PrintResult:
    """Stopped between our check and `lp`? Then the job would wait for ever: cancel it."""
    status = printer_status(name)
    if status.ready:
        return PrintResult(True, name, job_id, f"Sent to {name} (job {job_id}).")
    _run("cancel", job_id)
    return PrintResult(False, name, message=_not_ready_message(status))
