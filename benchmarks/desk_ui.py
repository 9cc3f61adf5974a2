"""Scan-to-card and cold start, through the real window (offscreen).

    python -m benchmarks.desk_ui [--db benchmarks/data/demo-1m.db] [--runs 60]

scan→card: keystrokes of a card number sent as a scanner burst to the window, until the
member card is on screen (profile loaded on a worker, widgets filled, one paint), beside
the same member's lookup + profile read called directly (the floor the UI adds to).
cold start: a fresh process from `python -c` to a painted window with the store info.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DEFAULT_DB = Path(__file__).resolve().parent / "data" / "demo-1m.db"
COLD_START = """
import time; t0 = time.perf_counter()
from vipdesk.config import Config
from vipdesk.app import build
app = build(Config.load({{"db": {db!r}}}), sign_in=False)
app.window.show()
while not app.window.store.text():
    app.qt.processEvents(); time.sleep(0.002)
app.window.repaint()
print(time.perf_counter() - t0)
app.ops.shutdown()
"""


def cards(db: Path, n: int) -> list[str]:
    con = sqlite3.connect(db)
    total = con.execute("SELECT max(rowid) FROM member_cards").fetchone()[0]
    rows = []
    for rowid in random.Random(1).sample(range(1, total + 1), n):
        row = con.execute("SELECT card_no FROM member_cards WHERE rowid=?", (rowid,)).fetchone()
        if row:
            rows.append(row[0])
    return rows


def scan_to_card(db: Path, runs: int) -> tuple[list[float], list[float]]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from vipdesk.app import build
    from vipdesk.config import Config

    app = build(Config.load({"db": str(db)}), sign_in=False)
    window = app.window
    window.show()
    window.activateWindow()
    app.qt.processEvents()
    window.results.setFocus()
    ui, direct = [], []
    for code in cards(db, runs):
        shown: list[object] = []
        window.sig_profile_shown.connect(shown.append)
        start = time.perf_counter()
        for ch in code:
            QTest.keyClick(window.results, ch)
        QTest.keyClick(window.results, Qt.Key.Key_Return)
        deadline = time.perf_counter() + 10
        while not shown:
            app.qt.processEvents()
            if time.perf_counter() > deadline:
                sys.exit(f"scan of {code} never opened a card (focus: {app.qt.focusWidget()})")
        window.card.repaint()
        ui.append(time.perf_counter() - start)
        window.sig_profile_shown.disconnect(shown.append)
        window.results.setFocus()
        start = time.perf_counter()
        hit = app.desk.members.search(code).hits[0]
        app.desk.members.profile(hit.member_id)
        direct.append(time.perf_counter() - start)
    app.ops.shutdown()
    return ui, direct


def cold_start(db: Path, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", COLD_START.format(db=str(db))],
                              capture_output=True, text=True, check=True)
        out.append(time.perf_counter() - start)
        del proc
    return out


def ms(values: list[float]) -> str:
    p99 = statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]
    return f"median {statistics.median(values) * 1000:8.1f} ms   p99 {p99 * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db} missing: vipdesk demo --members 1000000 --db {args.db}")
    ui, direct = scan_to_card(args.db, args.runs)
    print(f"scan→card (window)     {ms(ui)}")
    print(f"lookup+profile direct  {ms(direct)}   ratio "
          f"{statistics.median(ui) / statistics.median(direct):.1f}x")
    starts = cold_start(args.db, 5)
    print(f"cold start to window   {ms(starts)}   (process start → painted window, 5 runs)")


if __name__ == "__main__":
    main()
