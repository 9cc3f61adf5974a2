"""The layer contract (docs/DEVELOPING.md "Layout"): every import of the package, read
from the source (module level, inside functions, under TYPE_CHECKING; relative imports
resolved), points to the module's own part or to a lower layer; the package has no
import cycle; the domain never imports Qt and the UI never SQL."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vipdesk"

# Lowest first. A part is a subpackage (`vipdesk/services/`) or a top-level module
# (`vipdesk/db.py`). A module may import its own part and any part of a LOWER layer;
# parts of one layer are siblings and never import each other. A part missing from
# the tree is fine (a layer being created or retired).
LAYERS: tuple[tuple[str, ...], ...] = (
    # The foundation: the schema, settings, keys, shipped files, the change notices.
    ("models", "config", "crypto", "resources", "change_stream"),
    # What every ORM write on a desk database also writes, in the same transaction:
    # the sync outbox row (capture, HLC, synced tables, sync state, the op's wire
    # form) and the audit chain's links.
    ("outbox",),
    # Opening a database: `db` installs the outbox's capture and the audit chain on
    # every session (it imports `outbox`, which is why it sits above it).
    ("db",),
    ("storage",),  # the desk's file, its key and the open-time checks
    ("services",),  # the domain rules, plain Python
    ("sync", "printing"),  # push/pull with the centre; card PDFs and printing
    ("desk",),  # the application layer: `Desk` and its per-noun facades
    ("central",),  # the central HTTP service (uses sync)
    ("ui",),  # the widgets
    ("app",),  # builds the window (imports ui)
    ("cli",),  # the command line (`vipdesk gui` starts the app)
)
# Allowed while they last, each with its reason. Entries only ever go: a new upward
# import is a failure, not a new line here. "file -> part" pairs.
KNOWN: dict[str, str] = {}
# Parts whose modules may import each other round in a knot while they last, with the
# reason. Entries only ever go.
KNOWN_CYCLES: dict[str, str] = {}

QT = ("PySide6", "qasync")
BELOW_UI = tuple(part for layer in LAYERS[:LAYERS.index(("ui",))] for part in layer)


@dataclass(frozen=True)
class Import:
    path: Path  # the importing file
    line: int
    target: str  # the imported module, absolute ("vipdesk.outbox.capture", "sqlalchemy")
    module_level: bool  # runs when the module is imported (TYPE_CHECKING blocks too)


def module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _known_modules(package: Path) -> set[str]:
    return {module_name(p, package) for p in package.rglob("*.py")}


def _resolve(node: ast.ImportFrom, path: Path, package: Path) -> str:
    if not node.level:
        return node.module or ""
    base = module_name(path, package).split(".")
    if path.name != "__init__.py":
        base = base[:-1]  # a module's package
    base = base[:len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _walk(node: ast.AST, module_level: bool) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        yield child, module_level
        inner = module_level and not isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _walk(child, inner)


def imports(path: Path, package: Path = PACKAGE,
            modules: set[str] | None = None) -> list[Import]:
    """Every import in the file; `from a import b` names `a.b` when that is a module."""
    modules = _known_modules(package) if modules is None else modules
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[Import] = []
    for node, module_level in _walk(tree, True):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, a.name, module_level) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, path, package)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append(Import(path, node.lineno, sub if sub in modules else base,
                                    module_level))
    return found


def all_imports(package: Path = PACKAGE) -> list[Import]:
    modules = _known_modules(package)
    return [i for path in sorted(package.rglob("*.py")) for i in imports(path, package, modules)]


def part_of(module: str, package_name: str = "vipdesk") -> str | None:
    pieces = module.split(".")
    if pieces[0] != package_name or len(pieces) < 2:
        return None
    return pieces[1]


def rank(part: str) -> int:
    for index, layer in enumerate(LAYERS):
        if part in layer:
            return index
    raise AssertionError(f"vipdesk/{part} is in no layer: add it to LAYERS "
                         "(tests/test_layers.py) and the layout table (docs/DEVELOPING.md)")


def violations(package: Path = PACKAGE) -> list[tuple[str, str]]:
    """(“file -> part”, message) for every import of a part not below the file's own."""
    out = []
    for imp in all_imports(package):
        source = part_of(module_name(imp.path, package), package.name)
        target = part_of(imp.target, package.name)
        if source is None or target is None or source == target:
            continue
        if rank(target) < rank(source):
            continue
        where = "a sibling" if rank(target) == rank(source) else "a higher layer"
        relative = imp.path.relative_to(package).as_posix()
        out.append((f"{relative} -> {target}",
                    f"{relative}:{imp.line} imports {imp.target}: {target!r} is {where} "
                    f"than {source!r} (layers, lowest first: {_order()})"))
    return out


def _order() -> str:
    return " < ".join("{" + ", ".join(layer) + "}" if len(layer) > 1 else layer[0]
                      for layer in LAYERS)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module → the package modules it imports when it is imported."""
    modules = _known_modules(package)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in all_imports(package):
        if imp.module_level and imp.target in modules:
            graph[module_name(imp.path, package)].add(imp.target)
    return graph


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def cycles(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each knot of modules that import each other (round and round), reported as one
    shortest cycle ("a -> b -> a") → every module of the knot."""
    reach = {node: _reach(graph, node) for node in graph}
    found: dict[str, set[str]] = {}
    done: set[str] = set()
    for node in sorted(graph):
        if node in done or node not in reach[node]:
            continue
        knot = {other for other in reach[node] if node in reach[other]}
        done |= knot
        found[_a_cycle(node, knot, graph)] = knot
    return found


def _a_cycle(start: str, component: set[str], graph: dict[str, set[str]]) -> str:
    """The shortest path from `start` back to itself inside its component."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & component):
                if nxt == start:
                    return " -> ".join([*paths[node], start])
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{start} is in no cycle")


# -- the contract ------------------------------------------------------------------


def test_every_part_has_a_layer() -> None:
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.name != "__init__.py")
             or (p.is_dir() and (p / "__init__.py").exists())}
    for part in sorted(parts):
        rank(part)


def test_imports_only_point_down() -> None:
    found = violations()
    bad = [message for key, message in found if key not in KNOWN]
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)
    stale = sorted(set(KNOWN) - {key for key, _ in found})
    if stale:
        warnings.warn(f"KNOWN layer exceptions no longer needed, remove them: {stale}",
                      stacklevel=1)


def test_no_import_cycles() -> None:
    found = [f"{cycle} (the knot: {', '.join(sorted(knot))})"
             for cycle, knot in cycles(import_graph()).items()
             if not {part_of(m) for m in knot} <= set(KNOWN_CYCLES)]
    assert not found, ("module-level import cycles (TYPE_CHECKING imports included; pass "
                       "the object in, or type it with a Protocol):\n" + "\n".join(found))


def test_below_the_ui_nothing_imports_qt() -> None:
    bad = [f"{i.path.relative_to(PACKAGE)}:{i.line} imports {i.target}"
           for i in all_imports()
           if part_of(module_name(i.path, PACKAGE)) in BELOW_UI
           and i.target.split(".")[0] in QT]
    assert bad == []


def test_ui_never_imports_sqlalchemy() -> None:
    bad = [f"{i.path.relative_to(PACKAGE)}:{i.line} imports {i.target}"
           for i in all_imports()
           if part_of(module_name(i.path, PACKAGE)) == "ui"
           and i.target.split(".")[0] == "sqlalchemy"]
    assert bad == []


# -- the checker itself --------------------------------------------------------------


def _plant(root: Path, files: dict[str, str]) -> Path:
    package = root / "vipdesk"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_checker_catches_upward_imports(tmp_path: Path) -> None:
    package = _plant(tmp_path, {
        "__init__.py": "",
        "models/__init__.py": "",
        "services/__init__.py": "",
        "services/rules.py": (
            "from typing import TYPE_CHECKING\n"
            "from ..models import Base\n"  # down: fine
            "from . import helpers\n"  # own part: fine
            "if TYPE_CHECKING:\n"
            "    from vipdesk.desk import Desk\n"  # up, typing only
            "def f():\n"
            "    from ..sync import engine\n"  # up, lazy and relative
            "    import vipdesk.ui.main_window\n"),  # up, lazy
        "services/helpers.py": "",
        "sync/__init__.py": "from vipdesk import printing\n",  # sibling
        "sync/engine.py": "",
        "printing/__init__.py": "",
        "desk/__init__.py": "",
        "ui/__init__.py": "",
        "ui/main_window.py": "",
    })
    found = dict(violations(package))
    assert set(found) == {"services/rules.py -> desk", "services/rules.py -> sync",
                          "services/rules.py -> ui", "sync/__init__.py -> printing"}
    assert "services/rules.py:7 imports vipdesk.sync.engine" in found[
        "services/rules.py -> sync"]
    assert "a sibling" in found["sync/__init__.py -> printing"]


def test_checker_finds_cycles(tmp_path: Path) -> None:
    package = _plant(tmp_path, {
        "__init__.py": "",
        "ui/__init__.py": "",
        "ui/window.py": "from .pages import Pages\n",
        "ui/pages.py": ("from typing import TYPE_CHECKING\n"
                        "if TYPE_CHECKING:\n"
                        "    from vipdesk.ui.window import Window\n"),
        "ui/lazy.py": "def f():\n    from vipdesk.ui import window\n",  # not module level
    })
    assert cycles(import_graph(package)) == {
        "vipdesk.ui.pages -> vipdesk.ui.window -> vipdesk.ui.pages":
            {"vipdesk.ui.pages", "vipdesk.ui.window"}}
