"""The history sub-commands end to end on a small demo lounge: output, exit codes, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vipdesk.cli.main import main
from vipdesk.db import open_desk_db
from vipdesk.models import HomeVisit, PointsEntry, Visit
from vipdesk.services.clock import Clock
from vipdesk.services.demo import build_demo


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("histcli") / "demo.db"
    engine = open_desk_db(path)
    build_demo(engine, members=60, seed=3, today=Clock().today())
    engine.dispose()
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> str:
    copy = tmp_path / "desk.db"
    copy.write_bytes(template.read_bytes())
    return str(copy)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def count(db: str, model: type) -> int:
    engine = open_desk_db(db, migrate=False)
    with Session(engine) as s:
        n = int(s.scalar(select(func.count()).select_from(model)) or 0)
    engine.dispose()
    return n


def test_visit_checkin_here_checkout(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "visit", "checkin", "M0000001", "--purpose", "取表", "--db", db)
    assert code == 0 and "王小明" in out and "龙井" in out and "周婷" in out
    code, _, err = run(capsys, "visit", "checkin", "M0000001", "--db", db)
    assert code == 2 and "already checked in" in err
    code, out, _ = run(capsys, "visit", "here", "--json", "--db", db)
    guests = json.loads(out)
    assert code == 0 and [g["member_no"] for g in guests] == ["M0000001"]
    assert guests[0]["purpose"] == "取表"
    assert run(capsys, "visit", "checkout", "M0000001", "--db", db)[0] == 0
    assert json.loads(run(capsys, "visit", "here", "--json", "--db", db)[1]) == []


def test_unknown_member_and_staff(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "visit", "checkin", "nobody-at-all", "--db", db)
    assert code == 1 and "no member matches" in err
    code, _, err = run(capsys, "visit", "checkin", "M0000001", "--staff", "S999", "--db", db)
    assert code == 2 and "vipdesk signin" in err  # who acts is who signed in
    assert count(db, Visit) > 0 and "Traceback" not in err


def test_complaint_workflow(db: str, capsys: pytest.CaptureFixture[str],
                            signin: Callable[..., int]) -> None:
    before = count(db, PointsEntry)
    assert signin(db, "S005") == 0
    code, out, _ = run(capsys, "complaint", "open", "M0000001", "--category", "wait_time",
                       "--severity", "minor", "--description", "等了 40 分钟", "--db", db)
    assert code == 0 and "received" in out
    cid = out.split("\t")[0]
    code, _, err = run(capsys, "complaint", "advance", cid, "--to", "resolved",
                       "--db", db)  # the receiver may call back; resolving is a manager's
    assert code == 2 and "may not complaint.advance" in err
    assert signin(db, "S001") == 0
    assert run(capsys, "complaint", "advance", cid, "--to", "contacted", "--db", db)[0] == 0
    code, _, err = run(capsys, "complaint", "advance", cid, "--to", "resolved", "--points",
                       "50", "--db", db)
    assert code == 2 and "between 100 and 500" in err
    code, out, _ = run(capsys, "complaint", "advance", cid, "--to", "resolved", "--points",
                       "200", "--note", "致歉", "--db", db)
    assert code == 0 and "resolved" in out and count(db, PointsEntry) == before + 1
    code, out, _ = run(capsys, "complaint", "list", "--json", "--db", db)
    mine = [c for c in json.loads(out) if c["complaint_id"] == cid]
    assert mine[0]["state"] == "resolved" and mine[0]["follow_up_due"]
    code, out, _ = run(capsys, "complaint", "list", "--overdue", "--json", "--db", db)
    assert cid not in out and all(c["overdue"] for c in json.loads(out))


def test_points(db: str, capsys: pytest.CaptureFixture[str],
                signin: Callable[..., int]) -> None:
    code, out, _ = run(capsys, "points", "M0000001", "--balance", "--json", "--db", db)
    start = json.loads(out)["balance"]
    assert signin(db, "S005") == 0
    assert run(capsys, "points", "M0000001", "earn", "500", "--reason", "活动",
               "--db", db)[0] == 0
    code, _, err = run(capsys, "points", "M0000001", "redeem", str(start + 501), "--reason",
                       "gift", "--db", db)
    assert code == 2 and "cannot take" in err
    code, _, err = run(capsys, "points", "M0000001", "adjust", "-100",
                       "--reason", "x", "--db", db)
    assert code == 2 and "may not points.adjust" in err
    assert signin(db, "S001") == 0
    code, out, _ = run(capsys, "points", "M0000001", "adjust", "-100", "--reason", "typo",
                       "--db", db)
    assert code == 0 and f"balance {start + 400:,}" in out
    assert run(capsys, "points", "M0000001", "--db", db)[0] == 2


def test_homevisit(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    today = Clock().today()  # the store's day (Asia/Shanghai), not the test machine's
    yesterday = (today - timedelta(days=1)).isoformat()
    due = (today + timedelta(days=7)).isoformat()
    code, out, err = run(capsys, "homevisit", "M0000001", "--date", yesterday,
                         "--notes", "谈及新居", "--advisor", "S002", "--gift", "茶具",
                         "--satisfaction", "very_satisfied", "--follow-up", f"{due}:送白茶样品",
                         "--json", "--db", db)
    assert code == 0, err
    record = json.loads(out)
    assert record["follow_ups"][0]["description"] == "送白茶样品"
    tomorrow = (today + timedelta(days=1)).isoformat()
    code, _, err = run(capsys, "homevisit", "M0000001", "--date", tomorrow,
                       "--notes", "谈及新居", "--advisor", "S002", "--db", db)
    assert code == 2 and "in the future" in err
    code, _, err = run(capsys, "homevisit", "M0000001", "--date", yesterday,
                       "--notes", "谈及新居", "--advisor", "S002", "--follow-up", "next week",
                       "--db", db)
    assert code == 2 and "--follow-up" in err
    assert count(db, HomeVisit) == 1
