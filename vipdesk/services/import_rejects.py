"""Where the member import writes every rejected row as it goes (the command line and the
window alike): a file next to the input (`FILE.rejected.csv`, or `FILE.rejected.jsonl`
for --json), so half a million bad rows cost disk, not memory."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from types import TracebackType
from typing import IO, Any


class RejectionSink:
    """Writes each rejected row; falls back to stderr when no file can be created."""

    def __init__(self, source: str, as_json: bool) -> None:
        self.as_json = as_json
        suffix = ".rejected.jsonl" if as_json else ".rejected.csv"
        self.path: str | None = str(Path(source).with_name(Path(source).name + suffix))
        self.fh: IO[str] | None = None
        self.count = 0
        self.writer: Any = None

    def __enter__(self) -> RejectionSink:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.fh is not None and self.fh is not sys.stderr:
            self.fh.close()
        if self.count == 0 and self.path and Path(self.path).exists():
            Path(self.path).unlink()  # no rejections: no stale file from an earlier run

    def write(self, row: Any) -> None:
        if self.count == 0:
            self._open()
        self.count += 1
        last = row.last_line or ""
        if self.as_json:
            record = {"line": row.line, "last_line": row.last_line,
                      "member_no": row.member_no, "reason": row.reason}
            print(json.dumps(record, ensure_ascii=False), file=self.fh)
        else:
            self.writer.writerow([row.line, last, row.member_no or "", row.reason])

    def _open(self) -> None:
        try:
            assert self.path is not None
            # CSV with a BOM, so Excel opens the Chinese reasons right
            encoding = "utf-8" if self.as_json else "utf-8-sig"
            self.fh = open(self.path, "w", encoding=encoding, newline="")  # noqa: SIM115
        except OSError:
            self.path, self.fh = None, None
        target = self.fh or sys.stderr
        self.writer = csv.writer(target)
        if not self.as_json:
            self.writer.writerow(["line", "last_line", "member_no", "reason"])
        self.fh = target
