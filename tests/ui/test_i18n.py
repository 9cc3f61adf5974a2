"""Every UI string has its Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

from vipdesk.ui.i18n import table

UI = Path(__file__).resolve().parents[2] / "vipdesk" / "ui"
CALL = re.compile(r"""\b(?:tr|t)\(\s*(['"])(.+?)\1\s*\)""")
LOOKUP_TABLES = re.compile(r"""^[A-Z_]+ = \{""", re.M)


def ui_sources() -> set[str]:
    found: set[str] = set()
    for path in UI.rglob("*.py"):
        found.update(m.group(2) for m in CALL.finditer(path.read_text(encoding="utf-8")))
    return found


def test_every_tr_string_is_translated() -> None:
    zh = table("zh")
    missing = sorted(s for s in ui_sources() if s not in zh)
    assert missing == []


def test_some_strings_were_found() -> None:
    assert len(ui_sources()) > 10
