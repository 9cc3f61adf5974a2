"""The central service sits on top: it may import models, services and sync; nothing
in the desk's layers imports it, and it never imports Qt or the UI."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "vipdesk"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(PACKAGE)} imports {name}"
            for path in sorted((PACKAGE / folder).rglob("*.py"))
            for name in sorted(_imports(path))
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


def test_nothing_below_imports_the_central_service() -> None:
    layers = ("models", "services", "sync", "printing", "ui")
    assert [line for layer in layers if (PACKAGE / layer).exists()
            for line in _offenders(layer, ("vipdesk.central",))] == []


def test_the_central_service_has_no_qt() -> None:
    assert _offenders("central", ("PySide6", "qasync", "vipdesk.ui")) == []


def test_the_check_sees_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import vipdesk.central.app\nfrom PySide6 import QtCore\n")
    assert {"vipdesk.central.app", "PySide6"} <= _imports(sample)
