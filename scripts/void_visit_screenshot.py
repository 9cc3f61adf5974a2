"""Render 撤销登记 offscreen for the docs: `python scripts/void_visit_screenshot.py`.

Builds a small demo lounge in a temporary directory (never a real database); the
manager S001 checks a guest in, then takes it back from the card's 撤销登记… button with
a reason typed. Saves docs/img/void-visit.png (the dialog); with `--card PATH` also the card with
the button, for a look (not kept in the docs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from screenshot_common import NOW, demo_lounge, desk_window, grab, guest_no, wait
from sqlalchemy import select
from sqlalchemy.orm import Session

from vipdesk.desk import Desk
from vipdesk.models import Staff
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
from vipdesk.ui.void_visit_form import VoidVisitDialog


def prepare(db: Path) -> Desk:
    engine, _manager = demo_lounge(db, members=300)
    with Session(engine) as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == "S001")).one()
        actor = Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)
    desk = Desk(engine, clock=FixedClock(NOW), actor=actor)
    desk.visits.check_in(desk.members.search(guest_no(desk.engine)).hits[0].member_id, "取货", None)
    return desk


def main() -> None:
    card_path = Path(sys.argv[sys.argv.index("--card") + 1]) if "--card" in sys.argv else None
    with desk_window(prepare) as (app, window):
        window.scan(guest_no(window.desk.engine))
        card = window.card
        wait(app, lambda: card.void_button.isVisible())
        if card_path is not None:
            window.grab().save(str(card_path))
            print(card_path)
        card.void_button.click()
        dialog = window.void_visit_forms.dialog
        assert isinstance(dialog, VoidVisitDialog)
        dialog.reason.setText("选错了会员（应为同名的另一位王先生）")
        grab(app, dialog, "void-visit.png")
        dialog.reject()


if __name__ == "__main__":
    main()
