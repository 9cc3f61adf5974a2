"""`vipdesk screenshot --view NAME --out FILE.png [--query Q]`: a real view, no screen."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from vipdesk.cli.common import config_from, fail

VIEWS = ("lookup", "card", "signin")


def register(sub: Any, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("screenshot", parents=[parent], help="render a view to PNG offscreen")
    p.add_argument("--view", choices=VIEWS, default="lookup")
    p.add_argument("--out", required=True)
    p.add_argument("--query", help="search for this; with --view card, open the first hit")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--size", default="1366x738",
                   help="window size WxH (default: a 1366 × 768 screen less its title bar)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from vipdesk.app import build

    actor = None
    if args.view != "signin":  # the lookup and the card show members: as whom?
        from vipdesk.cli.common import open_db
        from vipdesk.cli.identity import acting

        actor = acting(args, open_db(args))
    app = build(config_from(args), sign_in=args.view == "signin")
    if actor is not None:
        app.window.desk.actor = actor
    width, height = (int(v) for v in args.size.split("x"))
    window = app.window
    window.resize(width, height)
    window.show()
    if args.query:
        if args.view == "card":
            window.scan(args.query)
        else:
            window.search.setText(args.query)
            window._run_search()
    ready = {"card": lambda: window.pages.currentWidget() is window.card,
             "signin": lambda: window.gate.locked}.get(
                 args.view, lambda: not window.search_seq_pending())
    if not _wait(app.qt, ready, timeout=10.0):
        return fail(f"the {args.view} view did not finish loading (query {args.query!r})")
    _wait(app.qt, lambda: False, timeout=0.3)  # let layouts settle
    if not window.grab().save(args.out):
        return fail(f"could not write {args.out}")
    print(args.out)
    app.ops.shutdown()
    return 0


def _wait(qt: Any, condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        qt.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return condition()
