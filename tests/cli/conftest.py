"""Every CLI test keeps its command-line session in its own temporary state directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.signin import sign_in, use_state_dir
from vipdesk.services.staff import DEMO_PIN


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_state_dir(monkeypatch, tmp_path / "state")


@pytest.fixture
def signin(monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> Callable[..., int]:
    """`signin(db, "S005")`: sign in as a demo account (PIN 246810) on that desk. What
    signin prints is read away, so the test's next capture holds its command only."""
    def run(db: str | Path, staff_no: str, secret: str = DEMO_PIN) -> int:
        code = sign_in(monkeypatch, db, staff_no, secret)
        capsys.readouterr()
        return code
    return run
