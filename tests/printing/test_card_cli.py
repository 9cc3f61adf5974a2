"""`vipdesk card QUERY --out FILE.pdf [--template NAME] [--print [PRINTER]]`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cardkit import pdf_text

from vipdesk.cli.main import main


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> str:
    copy = tmp_path / "lounge.db"
    shutil.copy(demo_db, copy)
    return str(copy)


def test_writes_the_members_card(db: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "wang.pdf"
    assert main(["card", "--db", db, "M0000001", "--out", str(out), "--template",
                 "senior"]) == 0
    assert "王先生" in pdf_text(out.read_bytes())
    assert f"wrote {out}" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["王"], 1, "matches several members"),
    (["nobody-at-all"], 1, "no member matches"),
    (["M0000001", "--template", "neon"], 2, "no card template 'neon'"),
])
def test_bad_queries_and_templates_say_why(db: str, tmp_path: Path, argv: list[str], code: int,
                                           message: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.pdf"
    assert main(["card", "--db", db, *argv, "--out", str(out)]) == code
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_needs_out_or_print(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["card", "--db", db, "M0000001"]) == 2
    assert "--out" in capsys.readouterr().err


def test_prints_on_a_queue_and_fails_clearly_on_a_stopped_one(
        db: str, cups_pdf_queue: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["card", "--db", db, "M0000001", "--print", cups_pdf_queue]) == 0
    assert f"on {cups_pdf_queue} (job {cups_pdf_queue}-" in capsys.readouterr().out
    subprocess.run(["cupsdisable", cups_pdf_queue], check=True, timeout=10)
    assert main(["card", "--db", db, "M0000001", "--print", cups_pdf_queue]) == 3
    assert "is stopped" in capsys.readouterr().err
