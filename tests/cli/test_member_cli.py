"""`vipdesk member add|edit|show` end to end: exit codes 0 / 1 / 2, JSON, the desk's rules."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.cli.test_history_cli import db, run, template  # noqa: F401 (fixtures)


def test_add_then_find_edit_and_show(db: str, capsys: pytest.CaptureFixture[str],  # noqa: F811
                                     signin: Callable[..., int]) -> None:
    assert signin(db, "S005") == 0
    code, out, err = run(capsys, "member", "add", "--name-zh", "欧阳娜娜", "--gender", "F",
                         "--phone", "139 1234 5678", "--card", "vip777", "--pref",
                         "drink=龙井", "--consent", "--json", "--db", db)
    assert code == 0, err
    added = json.loads(out)
    assert added["name"] == "欧阳娜娜" and added["member_no"]
    code, out, err = run(capsys, "lookup", "13912345678", "--json", "--db", db)
    assert code == 0 and "欧阳娜娜" in out
    assert signin(db, "S001") == 0
    code, out, err = run(capsys, "member", "edit", "13912345678", "--phone-add",
                         "13712345678", "--pref", "size=42", "--pref-remove", "drink",
                         "--family", "两个孩子", "--json", "--db", db)  # as the manager
    assert code == 0, err
    assert json.loads(out)["changed"] == ["family", "phones +1 -0", "preferences +1 -1"]
    code, out, err = run(capsys, "member", "show", "VIP777", "--json", "--db", db)
    assert code == 0, err
    shown = json.loads(out)
    assert [(p["tag"], p["value"]) for p in shown["preferences"]] == [("size", "42")]
    assert shown["file"]["family"] == "两个孩子"
    assert signin(db, "S005") == 0
    code, out, err = run(capsys, "member", "show", "VIP777", "--json", "--db", db)
    assert code == 0 and "family" not in json.loads(out)["file"]  # staff: not private


def test_refusals_exit_2_and_unknown_members_1(db: str,  # noqa: F811
                                               capsys: pytest.CaptureFixture[str],
                                               signin: Callable[..., int]) -> None:
    code, _out, err = run(capsys, "member", "add", "--name-zh", "无同意", "--db", db)
    assert code == 2 and "consent" in err
    run(capsys, "member", "add", "--name-zh", "甲", "--phone", "13912340000", "--consent",
        "--db", db)
    code, _out, err = run(capsys, "member", "add", "--name-zh", "乙", "--phone",
                          "13912340000", "--consent", "--db", db)
    assert code == 2 and "甲" in err  # who already has the phone
    assert signin(db, "S005") == 0
    code, _out, err = run(capsys, "member", "edit", "13912340000", "--email", "x@y.cn",
                          "--db", db)
    assert code == 2 and "may not" in err  # lounge staff: preferences only
    assert signin(db, "S001") == 0
    code, _out, err = run(capsys, "member", "edit", "13900000001", "--pref", "size=42",
                          "--db", db)
    assert code == 1
    code, _out, err = run(capsys, "member", "edit", "13912340000", "--pref", "size",
                          "--db", db)
    assert code == 2 and "TAG=VALUE" in err


def test_merge_needs_yes_and_a_manager(db: str, capsys: pytest.CaptureFixture[str],  # noqa: F811
                                       signin: Callable[..., int]) -> None:
    run(capsys, "member", "add", "--name-zh", "王小明", "--phone", "13712345678",
        "--pref", "size=42", "--consent", "--db", db)
    code, _out, err = run(capsys, "member", "merge", "M0000001", "13712345678", "--db", db)
    assert code == 2 and "--yes" in err
    assert signin(db, "S005") == 0
    code, _out, err = run(capsys, "member", "merge", "M0000001", "13712345678", "--yes",
                          "--db", db)
    assert code == 2 and "may not" in err
    assert signin(db, "S001") == 0
    code, out, err = run(capsys, "member", "merge", "M0000001", "13712345678", "--yes",
                         "--json", "--db", db)
    assert code == 0, err
    assert json.loads(out)["moved"] >= 2  # the phone and the preference
    code, out, _err = run(capsys, "lookup", "13712345678", "--json", "--db", db)
    assert code == 0 and "M0000001" in out
