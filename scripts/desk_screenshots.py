"""Render the front desk offscreen for the README: `python scripts/desk_screenshots.py`.

A demo lounge in a temporary directory, the manager S001 at the desk, the window at the
common store screen (1366 × 768 less its title bar). Saves:

  docs/img/lookup-zh.png    "8000" typed: the guests with that phone ending, told apart
  docs/img/card-zh.png      王小明's card, checked in (在店), with the in-lounge strip
  docs/img/card-en.png      the same card on the English desk
  docs/img/signin-zh.png    the lock screen after the manager locked the desk
"""

from __future__ import annotations

from pathlib import Path

from screenshot_common import NOW, demo_lounge, desk_window, grab, wait

from vipdesk.desk import Desk
from vipdesk.services.clock import FixedClock

TIMEOUT = 20.0


def prepare(db: Path) -> Desk:
    engine, actor = demo_lounge(db, members=600)
    desk = Desk(engine, clock=FixedClock(NOW), actor=actor)
    wang = desk.members.search("13800138000").hits[0].member_id
    desk.visits.check_in(wang, "选购新品", "龙井")
    return desk


def main() -> None:
    with desk_window(prepare) as (app, window):
        window.search.setFocus()
        window.search.setText("8000")
        window._run_search()
        wait(app, lambda: not window.search_seq_pending() and window.results_model.hits != [],
             TIMEOUT)
        grab(app, window, "lookup-zh.png")
        window.scan("138 0013 8000")
        wait(app, lambda: window.card.profile is not None
             and window.card.check_out_button.isVisibleTo(window.card), TIMEOUT)
        grab(app, window, "card-zh.png")
        window.toggle_language()  # Ctrl+L
        wait(app, lambda: False, 0.5)
        grab(app, window, "card-en.png")
        window.toggle_language()
        window.gate.lock()
        wait(app, lambda: window.gate.locked, TIMEOUT)
        grab(app, window, "signin-zh.png")


if __name__ == "__main__":
    main()
