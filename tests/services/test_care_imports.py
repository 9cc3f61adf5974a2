"""The care modules import one another in one direction only: every import counted,
those inside functions and under TYPE_CHECKING too (a lazy import is still a cycle
waiting for the first caller that imports the other side first)."""

from __future__ import annotations

import ast
from pathlib import Path

import vipdesk.services

SERVICES = Path(vipdesk.services.__file__).parent


def _care_modules() -> dict[str, Path]:
    found = {f"vipdesk.services.{p.stem}": p for p in SERVICES.glob("care*.py")}
    for p in (SERVICES / "carelist").glob("*.py"):
        name = "vipdesk.services.carelist" + ("" if p.stem == "__init__" else f".{p.stem}")
        found[name] = p
    return found


def _imports(path: Path, known: set[str]) -> set[str]:
    """Care modules `path` imports (a submodule's package counts: importing it runs the
    package's `__init__`)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *[f"{node.module}.{a.name}" for a in node.names]]
        for name in names:
            parts = name.split(".")
            out.update(".".join(parts[:n]) for n in range(1, len(parts) + 1)
                       if ".".join(parts[:n]) in known)
    return out


def test_no_import_cycle_among_the_care_modules() -> None:
    modules = _care_modules()
    graph = {name: _imports(path, set(modules)) - {name} for name, path in modules.items()}
    # A package's own submodules import their package's name by necessity; what matters
    # is that nothing below the package imports it back.
    graph = {name: {d for d in deps if not (name.startswith(d + ".") and
                                            d == "vipdesk.services.carelist")}
             for name, deps in graph.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, " → ".join([*path, name])
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
