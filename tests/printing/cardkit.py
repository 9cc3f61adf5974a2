"""Helpers for the card tests: sample data, PDF tools, pixel checks."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from vipdesk.printing.data import CardData

CUPS_PDF_CONF = Path("/etc/cups/cups-pdf.conf")
SAFE_MM = 3.0  # no text ink closer than this to any edge
LONG_NAME = ("欧阳·Alexandra Constance Montgomery-Worthington 𪚥😀 爱新觉罗毓秀" * 2)[:60]

SAMPLE = CardData(
    language="zh", name="王先生", name_alt="Mr Wang", tier="黑卡会员",
    greeting="欢迎莅临 · 恭候已久", birthday="生日将至，提前祝您生日快乐",
    offer="今日礼遇 · 机场贵宾厅", advisor="专属顾问  李娜", store="上海恒隆广场店",
    date="2026.11.25", member_no="M0000001")
BLANK = CardData(**{f.name: "" for f in dataclasses.fields(CardData)})


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: apt-get install poppler-utils")
    return path


def pdf_text(pdf: bytes) -> str:
    return subprocess.run([tool("pdftotext"), "-", "-"], input=pdf, capture_output=True,
                          check=True, timeout=30).stdout.decode()


def pdf_fonts(pdf: bytes, tmp: Path) -> list[list[str]]:
    path = tmp / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([tool("pdffonts"), str(path)], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def raster(pdf: bytes, dpi: int = 100) -> Image.Image:
    png = subprocess.run([tool("pdftoppm"), "-r", str(dpi), "-png", "-singlefile", "-"],
                         input=pdf, capture_output=True, check=True, timeout=30).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def ink_outside_safe_area(with_text: Image.Image, without: Image.Image, dpi: int = 100) -> int:
    """Pixels the text changed (vs. the same card with no text) within SAFE_MM of an edge."""
    assert with_text.size == without.size
    margin = round(SAFE_MM / 25.4 * dpi)
    w, h = with_text.size
    a, b = with_text.load(), without.load()
    count = 0
    for y in range(h):
        for x in range(w):
            if (x < margin or y < margin or x >= w - margin or y >= h - margin) and (
                    max(abs(p - q) for p, q in zip(a[x, y], b[x, y], strict=True)) > 24):
                count += 1
    return count


def changed_pixels(with_text: Image.Image, without: Image.Image) -> int:
    a, b = with_text.tobytes(), without.tobytes()
    return sum(1 for i in range(0, len(a), 3) if abs(a[i] - b[i]) > 24)


def cups_pdf_out_dir() -> Path:
    """Where CUPS-PDF writes (`Out` in its config, ${HOME} expanded), default ~/PDF."""
    out = "${HOME}/PDF"
    if CUPS_PDF_CONF.exists():
        for line in CUPS_PDF_CONF.read_text(errors="replace").splitlines():
            match = re.match(r"^\s*Out\s+(\S+)", line)
            if match:
                out = match.group(1)
    return Path(out.replace("${HOME}", str(Path.home()))).expanduser()


def wait_for_output(job_id: str, since: float, timeout: float = 20.0) -> Path:
    """The newest CUPS-PDF file for this job (names get suffixes like `-job_12`)."""
    number = job_id.rsplit("-", 1)[-1]
    folder = cups_pdf_out_dir()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if folder.is_dir():
            found = [p for p in folder.glob("*.pdf")
                     if p.stat().st_mtime >= since - 1 and p.stem.endswith(f"job_{number}")]
            if found:
                newest = max(found, key=lambda p: p.stat().st_mtime)
                if newest.stat().st_size > 0:
                    time.sleep(0.2)  # CUPS-PDF may still be closing the file
                    return newest
        time.sleep(0.1)
    raise AssertionError(f"no CUPS-PDF output for job {job_id} in {folder} after {timeout} s")
