"""`vipdesk tiers show|apply|recompute`: the tier table from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.signin import admin_signed_in
from vipdesk.cli.main import main

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return admin_signed_in(tmp_path / "desk.db")


def test_show_apply_show(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tiers", "show", "--db", db]) == 0
    assert "black" in capsys.readouterr().out
    assert main(["tiers", "apply", str(DATA / "tiers_seed002.toml"), "--db", db, "--check"]) == 0
    assert "added d, vip, platinum" in capsys.readouterr().out
    assert main(["tiers", "show", "--db", db, "--json"]) == 0  # --check wrote nothing
    assert [t["code"] for t in json.loads(capsys.readouterr().out)["tiers"]] == [
        "senior", "diamond", "black"]
    assert main(["tiers", "apply", str(DATA / "tiers_seed002.toml"), "--db", db]) == 0
    capsys.readouterr()
    assert main(["tiers", "show", "--db", db, "--json"]) == 0
    tiers = json.loads(capsys.readouterr().out)["tiers"]
    assert [(t["code"], t["in_care_plan"]) for t in tiers] == [
        ("d", False), ("vip", False), ("platinum", True), ("diamond", True)]


def test_a_refused_file_names_each_problem_and_exits_two(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((DATA / "tiers_seed002.toml").read_text(encoding="utf-8")
                   .replace("max_spend_yuan = 1_000_000", "max_spend_yuan = 1_200_000"),
                   encoding="utf-8")
    assert main(["tiers", "apply", str(bad), "--db", db]) == 2
    assert "overlaps tier 'diamond'" in capsys.readouterr().err


def test_recompute_runs_the_daily_pass(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tiers", "recompute", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["moved"] == 0
