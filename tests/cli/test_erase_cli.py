"""`vipdesk erase`: refused without --yes or for lounge staff; a manager's erasure scrubs
the member (no longer found) and is in the audit log with its reason."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.cli.main import main
from vipdesk.db import open_desk_db
from vipdesk.models import AuditEntry, Member


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> str:
    path = tmp_path / "desk.db"
    shutil.copy(demo_db, path)
    return str(path)


def test_erase_needs_yes_and_a_manager(db: str, capsys: pytest.CaptureFixture[str],
                                       signin: Callable[..., int]) -> None:
    assert main(["erase", "--db", db, "13800138000", "--reason", "GDPR-17"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert signin(db, "S005") == 0
    code = main(["erase", "--db", db, "13800138000", "--reason", "GDPR-17", "--yes"])
    assert code == 2 and "may not" in capsys.readouterr().err
    assert main(["lookup", "--db", db, "13800138000"]) == 0


def test_manager_erases_and_it_is_audited(db: str, capsys: pytest.CaptureFixture[str],
                                          signin: Callable[..., int]) -> None:
    assert signin(db, "S001") == 0
    code = main(["erase", "--db", db, "13800138000", "--reason", "客户书面申请 #17", "--yes"])
    assert code == 0, capsys.readouterr().err
    assert "erased M0000001" in capsys.readouterr().out
    assert main(["lookup", "--db", db, "13800138000"]) == 1
    main(["lookup", "--db", db, "王小明"])
    assert "M0000001" not in capsys.readouterr().out
    engine = open_desk_db(db)
    with Session(engine) as s:
        wang = s.scalars(select(Member).where(Member.member_no == "M0000001")).one()
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "member.erase")).one()
        assert wang.erased_at is not None and wang.name_zh is None and wang.phones == []
    assert entry.member_id == wang.id and "#17" in entry.detail and entry.staff_no == "S001"
