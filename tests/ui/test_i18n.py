"""Every UI string has its Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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


def test_qts_own_dialogs_speak_the_desks_language(qtbot: Any) -> None:
    """The file dialog of an export, which Qt draws itself, follows the desk: its labels
    in Chinese at a Chinese desk (Qt's catalogue, and the desk's table for what this Qt's
    catalogue lacks), in English at an English one; the desk's own words still answer."""
    from PySide6.QtWidgets import QFileDialog, QLabel

    from vipdesk.ui import i18n

    def labels() -> list[str]:
        dialog = QFileDialog()
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        qtbot.addWidget(dialog)
        return sorted(label.text() for label in dialog.findChildren(QLabel) if label.text())

    try:
        i18n.install("zh")
        assert labels() == ["文件名称(&N)：", "文件类型(&T)：", "查找范围(&L)："]
        assert i18n.t("Call next (N)") == "叫下一位 (N)"
        i18n.install("en")
        assert labels() == ["&Look in:", "File &name:", "Files of &type:"]
        assert i18n.t("Call next (N)") == "Call next (N)"
    finally:
        i18n.install("en")
