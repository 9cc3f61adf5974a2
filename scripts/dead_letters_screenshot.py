"""Render 同步拒收 offscreen for the docs: `python scripts/dead_letters_screenshot.py`.

Everything happens in a temporary directory (never a real database): desks SH01 and
BJ01 sync through a SQLite stand-in centre; both registered member number M1 while
apart, so BJ01's member (with her phone) is refused at the centre and SH01's M1 cannot
be applied on BJ01. Saves docs/img/dead-letters.png: BJ01's manager's list, in Chinese,
with the refused member selected.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication
from screenshot_common import wait
from sqlalchemy import Engine

from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.desk import Desk
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.tiers import seed_default_tiers
from vipdesk.sync.central import CentreSettings, connect
from vipdesk.sync.engine import sync_once
from vipdesk.ui import i18n, theme
from vipdesk.ui.dead_letters import DeadLettersDialog
from vipdesk.ui.ops import Ops

OUT = Path(__file__).resolve().parents[1] / "docs" / "img" / "dead-letters.png"
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def add(desk: Engine, member_no: str, name: str, phone: str, card: str) -> None:
    with unit_of_work(session_factory(desk)) as s:
        add_member(s, NewMember(member_no=member_no, name_zh=name, phones=[phone],
                                cards=[card]))


def clash(folder: Path) -> Engine:
    centre = connect(CentreSettings(f"sqlite:///{folder / 'centre.db'}"))
    centre.init_schema()
    sh, bj = open_desk_db(folder / "sh01.db"), open_desk_db(folder / "bj01.db")
    with session_factory(sh)() as s, s.begin():
        seed_default_tiers(s)
    add(sh, "M1", "王芳", "13800138000", "CA1")
    sync_once(sh, centre, "SH01")
    add(bj, "M1", "李娜", "13900139000", "CB1")
    sync_once(bj, centre, "BJ01")
    centre.dispose()
    sh.dispose()
    return bj


def main() -> int:
    app = QApplication(sys.argv)
    theme.apply(app)
    i18n.install("zh")
    with tempfile.TemporaryDirectory() as tmp:
        bj = clash(Path(tmp))
        manager = Actor(uuid.uuid4(), "manager", "周婷", None, "S001", "BJ01")
        ops = Ops()
        dialog = DeadLettersDialog(Desk(bj, "BJ01", FixedClock(NOW), manager), ops)
        dialog.resize(1180, 560)
        dialog.show()
        wait(app, lambda: dialog.table.rowCount() > 0, timeout=20.0)
        row = next(i for i, v in enumerate(dialog.rows)
                   if v.table_name == "members" and not v.pulled)
        dialog.table.selectRow(row)
        wait(app, lambda: True)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(OUT))
        print(f"saved {OUT} ({dialog.table.rowCount()} refused changes listed)")
        dialog.close()
        ops.shutdown()
        bj.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
