"""Prints how many examples each fuzz target ran (docs/security.md records the figures)."""

from __future__ import annotations

from typing import Any

from tests.fuzz.budget import EXAMPLES, SCALE


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not EXAMPLES:
        return
    terminalreporter.section(f"fuzz examples (scale {SCALE})")
    for name, count in sorted(EXAMPLES.items()):
        terminalreporter.write_line(f"{name:<40} {count:>7,}")
    terminalreporter.write_line(f"{'total':<40} {sum(EXAMPLES.values()):>7,}")
