"""A demo lounge published from one desk reaches an empty desk through the centre, and a
visit logged there comes back: the README's two-desk walk-through, as a test."""

from __future__ import annotations

import io
import json
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


@pytest.mark.parametrize("through", ["database", "service"])
def test_published_demo_seeds_an_empty_desk(through: str, fresh_pg_url: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch,
                                             request: pytest.FixtureRequest) -> None:
    sh, bj = str(tmp_path / "sh.db"), str(tmp_path / "bj.db")
    url = fresh_pg_url
    assert main(["demo", "--db", sh, "--members", "40", "--store", "SH01", "--publish"]) == 0
    # The administrator seeds the centre with the demo chain in the direct mode (its
    # other stores' records are no desk's to send through the service).
    assert main(["sync", "--once", "--db", sh, "--store", "SH01", "--central", url]) == 0
    central = _central(through, url, {sh: "SH01", bj: "BJ01"}, request)
    _settled(url)
    assert main(["sync", "--once", "--db", bj, "--store", "BJ01", *central[bj]]) == 0
    # Beijing received the lounge but is no demo desk (the mark stays where it was made):
    # its commands act as whoever signs in there, with the PIN that came with the account.
    use_state_dir(monkeypatch, tmp_path / "state")
    assert main(["lookup", "--db", bj, "138 0013 8000"]) == 4
    assert sign_in(monkeypatch, bj, "S005") == 0
    capsys.readouterr()
    assert main(["lookup", "--db", bj, "138 0013 8000"]) == 0
    assert "王小明" in capsys.readouterr().out
    if through == "service":  # an enrolled Beijing desk records Beijing's visits only
        _beijing_staff_signs_in(monkeypatch, bj)
    assert main(["visit", "checkin", "13800138000", "--db", bj, "--store", "BJ01"]) == 0
    capsys.readouterr()
    assert main(["sync", "--once", "--json", "--db", bj, "--store", "BJ01", *central[bj]]) == 0
    assert "rejected" not in json.loads(capsys.readouterr().out)["outcomes"]
    _settled(url)
    assert main(["sync", "--once", "--db", sh, "--store", "SH01", *central[sh]]) == 0
    capsys.readouterr()
    assert main(["visit", "here", "--all-stores", "--db", sh, "--json"]) == 0
    assert "王小明" in capsys.readouterr().out


def _beijing_staff_signs_in(monkeypatch: pytest.MonkeyPatch, bj: str) -> None:
    """As the README's walk-through: the chain's administrator adds Beijing's own staff
    member, who signs in. (A Shanghai account's check-in is Shanghai's visit, which the
    service refuses from a desk enrolled for Beijing.)"""
    assert sign_in(monkeypatch, bj, "S009") == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("135791\n"))
    assert main(["staff", "add", "B001", "--name", "王静", "--role", "staff",
                 "--home-store", "BJ01", "--stdin", "--db", bj]) == 0
    assert sign_in(monkeypatch, bj, "B001", "135791") == 0


def _central(through: str, url: str, stores: dict[str, str],
             request: pytest.FixtureRequest) -> dict[str, list[str]]:
    """Each desk's `--central` arguments: the database URL, or the service's URL after
    `vipdesk enrol` with a code issued for the desk's store."""
    if through == "database":
        return {db: ["--central", url] for db in stores}
    from vipdesk.central.enrol import issue_code

    service = request.getfixturevalue("service")
    found = {}
    for db, store in stores.items():
        args = ["--central", service.url, "--ca-file", service.tls.ca_file]
        assert main(["enrol", issue_code(service.centre.engine, store), "--db", db,
                     *args]) == 0
        found[db] = args
    return found
