"""`vipdesk import members` writes every rejected row to a file next to the input as the
import runs (CSV, or JSON lines with --json); the summary names the encoding assumed and
the file. (Driven below the sign-in layer: the sink and the summary the command uses.)"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from vipdesk.cli.import_members import print_summary
from vipdesk.services import auth, import_rejects
from vipdesk.services.import_batches import ImportReport
from vipdesk.services.import_rejects import RejectionSink
from vipdesk.services.importer import import_members


def members_file(tmp_path: Path, bad: int) -> Path:
    path = tmp_path / "members.csv"
    rows = "".join(f"B{i},會員{i},12345\n" for i in range(bad))
    path.write_bytes(("會員號,姓名,手機\nG1,陳大文,13800138000\n" + rows).encode("big5hkscs"))
    return path


def run(factory: sessionmaker[Session], path: Path, as_json: bool
        ) -> tuple[ImportReport, str | None]:
    with RejectionSink(str(path), as_json) as sink:
        report = import_members(factory, path, auth.SYSTEM, today=date(2026, 11, 25),
                                on_reject=sink.write)
    return report, sink.path


def test_rejections_go_to_a_csv_next_to_the_input(
        tmp_path: Path, factory: sessionmaker[Session],
        capsys: pytest.CaptureFixture[str]) -> None:
    report, rejected_file = run(factory, members_file(tmp_path, 120), as_json=False)
    print_summary(report, rejected_file)
    out = capsys.readouterr()
    assert "(big5hkscs" in out.out and "encoding big5hkscs:" in out.out
    assert "imported 1, unchanged 0, rejected 120" in out.out
    assert "… and 70 more rejected rows" in out.err
    assert rejected_file == str(tmp_path / "members.csv.rejected.csv")
    assert rejected_file in out.out
    with open(rejected_file, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["line", "last_line", "member_no", "reason"]
    assert len(rows) == 121 and rows[1][:3] == ["3", "", "B0"]


def test_json_lines(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    report, rejected_file = run(factory, members_file(tmp_path, 3), as_json=True)
    assert (report.encoding, report.rejected_count) == ("big5hkscs", 3)
    assert rejected_file is not None and rejected_file.endswith(".rejected.jsonl")
    lines = Path(rejected_file).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["line"] for line in lines] == [3, 4, 5]


def test_a_clean_run_leaves_no_rejection_file(tmp_path: Path,
                                              factory: sessionmaker[Session]) -> None:
    stale = tmp_path / "members.csv.rejected.csv"
    stale.write_text("from an earlier run")
    report, _ = run(factory, members_file(tmp_path, 0), as_json=False)
    assert report.ok and not stale.exists()


def test_unwritable_directory_streams_to_stderr(
        tmp_path: Path, factory: sessionmaker[Session],
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError("read-only directory")

    path = members_file(tmp_path, 2)
    monkeypatch.setattr(import_rejects, "open", refuse, raising=False)
    _, rejected_file = run(factory, path, as_json=False)
    assert rejected_file is None
    err = capsys.readouterr().err
    assert "B0" in err and "B1" in err
