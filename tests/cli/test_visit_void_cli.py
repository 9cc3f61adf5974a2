"""`vipdesk visit void VISIT_ID --reason R` end to end, as whoever signed in: exit codes,
refusals."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.cli.test_history_cli import db, run, template  # noqa: F401 (fixtures)
from vipdesk.db import open_desk_db
from vipdesk.models import AuditEntry, Visit


def _exists(path: str, visit_id: str) -> bool:
    engine = open_desk_db(path, migrate=False)
    with Session(engine) as s:
        found = s.get(Visit, uuid.UUID(visit_id)) is not None
    engine.dispose()
    return found


def _audit(path: str) -> list[str]:
    engine = open_desk_db(path, migrate=False)
    with Session(engine) as s:
        details = list(s.scalars(select(AuditEntry.detail)
                                 .where(AuditEntry.action == "visit.void")))
    engine.dispose()
    return details


def test_visit_void(db: str, capsys: pytest.CaptureFixture[str],  # noqa: F811
                    signin: Callable[..., int]) -> None:
    assert signin(db, "S005") == 0
    code, out, err = run(capsys, "visit", "checkin", "M0000001", "--purpose", "取表",
                         "--db", db)
    assert code == 0, err
    found = re.search(r"visit ([0-9a-f-]{36})", out)
    assert found is not None
    visit_id = found[1]

    def void(*argv: str) -> tuple[int, str, str]:
        return run(capsys, "visit", "void", *argv, "--db", db)

    assert signin(db, "S001") == 0
    code, _, err = void(visit_id, "--reason", "   ")
    assert code == 2 and "reason: required" in err
    code, _, err = void("not-an-id", "--reason", "点错了")
    assert code == 2 and "VISIT_ID: not an id" in err
    code, _, err = void(str(uuid.uuid4()), "--reason", "点错了")
    assert code == 1 and "no visit with id" in err
    for who in ("S002", "S005"):  # an advisor; lounge staff (they delete nothing)
        assert signin(db, who) == 0
        code, _, err = void(visit_id, "--reason", "点错了")
        assert code == 2 and "may not visit.void" in err
    assert _exists(db, visit_id) and _audit(db) == []

    assert signin(db, "S001") == 0
    code, out, err = void(visit_id, "--reason", "选错了会员")
    assert code == 0, err
    assert out.startswith("M0000001\t") and "voided by 周婷" in out
    assert "purpose: 取表" in out and "reason: 选错了会员" in out
    assert not _exists(db, visit_id)
    [detail] = _audit(db)
    assert detail.startswith(f"visit {visit_id}: M0000001 checked in ")
    code, _, err = void(visit_id, "--reason", "再来一次")
    assert code == 1 and "already voided" in err
