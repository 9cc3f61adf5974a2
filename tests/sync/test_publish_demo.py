"""A demo lounge published from one desk reaches an empty desk through the centre, and a
visit logged there comes back: the README's two-desk walk-through, as a test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.signin import sign_in, use_state_dir
from tests.sync.helpers import wait_for_watermark
from vipdesk.cli.main import main
from vipdesk.sync.central import CentreSettings, connect


def _settled(url: str) -> None:
    """Wait until everything logged is pullable (see `wait_for_watermark`)."""
    centre = connect(CentreSettings(url))
    try:
        wait_for_watermark(centre)
    finally:
        centre.dispose()


def test_published_demo_seeds_an_empty_desk(fresh_pg_url: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    sh, bj = str(tmp_path / "sh.db"), str(tmp_path / "bj.db")
    url = fresh_pg_url
    assert main(["demo", "--db", sh, "--members", "40", "--store", "SH01", "--publish"]) == 0
    assert main(["sync", "--once", "--db", sh, "--store", "SH01", "--central", url]) == 0
    _settled(url)
    assert main(["sync", "--once", "--db", bj, "--store", "BJ01", "--central", url]) == 0
    # Beijing received the lounge but is no demo desk (the mark stays where it was made):
    # its commands act as whoever signs in there, with the PIN that came with the account.
    use_state_dir(monkeypatch, tmp_path / "state")
    assert main(["lookup", "--db", bj, "138 0013 8000"]) == 4
    assert sign_in(monkeypatch, bj, "S005") == 0
    capsys.readouterr()
    assert main(["lookup", "--db", bj, "138 0013 8000"]) == 0
    assert "王小明" in capsys.readouterr().out
    assert main(["visit", "checkin", "13800138000", "--db", bj, "--store", "BJ01"]) == 0
    assert main(["sync", "--once", "--db", bj, "--store", "BJ01", "--central", url]) == 0
    _settled(url)
    assert main(["sync", "--once", "--db", sh, "--store", "SH01", "--central", url]) == 0
    capsys.readouterr()
    assert main(["visit", "here", "--db", sh, "--store", "BJ01", "--json"]) == 0
    assert "王小明" in capsys.readouterr().out
