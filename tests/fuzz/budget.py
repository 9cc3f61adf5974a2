"""Example budgets for the fuzz tests, and a tally the terminal summary prints.

Budgets are bounded so the whole fuzz folder runs in CI in well under a minute; set
VIPDESK_FUZZ_SCALE=10 (or more) for a longer hunt by hand.
"""

from __future__ import annotations

import os
from collections import Counter

SCALE = max(1, int(os.environ.get("VIPDESK_FUZZ_SCALE", "1")))
EXAMPLES: Counter[str] = Counter()


def budget(n: int) -> int:
    return n * SCALE


def tally(name: str) -> None:
    EXAMPLES[name] += 1
