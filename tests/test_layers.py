"""The layer rule (DESIGN.md): the domain never imports Qt or the UI; the UI never SQL."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vipdesk"
DOMAIN = ("models", "services", "sync", "printing")
FORBIDDEN_IN_DOMAIN = ("PySide6", "qasync", "vipdesk.ui")
FORBIDDEN_IN_UI = ("sqlalchemy",)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for name in imported_modules(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
    return bad


def test_domain_never_imports_qt_or_ui() -> None:
    bad = [line for layer in DOMAIN if (PACKAGE / layer).exists()
           for line in offenders(layer, FORBIDDEN_IN_DOMAIN)]
    assert bad == []


def test_ui_never_imports_sqlalchemy() -> None:
    assert offenders("ui", FORBIDDEN_IN_UI) == []


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from PySide6.QtCore import QObject\nimport vipdesk.ui.main\n")
    assert {"PySide6.QtCore", "vipdesk.ui.main"} <= imported_modules(sample)
