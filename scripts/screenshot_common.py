"""What the docs' screenshot scripts share: a demo lounge in a temporary directory, the
desk window on it in Chinese, offscreen, and saving what it shows to docs/img."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.db import open_desk_db
from vipdesk.desk import Desk
from vipdesk.models import Member, Preference, Staff
from vipdesk.services.auth import Actor
from vipdesk.services.demo import build_demo
from vipdesk.ui import i18n, theme
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"
NOW = datetime(2026, 11, 25, 7, 20, tzinfo=UTC)  # 15:20 in Shanghai


def wait(app: QApplication, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        app.processEvents()
        time.sleep(0.01)
    end = time.monotonic() + 0.3  # let layouts settle
    while time.monotonic() < end:
        app.processEvents()


def guest_no(engine: Engine) -> str:
    """The guest the records are for: the first member with a drink preference."""
    with Session(engine) as s:
        member_no = s.scalars(select(Member.member_no).join(
            Preference, Preference.member_id == Member.id).where(Preference.tag == "drink")
            .order_by(Member.member_no)).first()
    assert member_no is not None
    return member_no


def demo_lounge(db: Path, members: int) -> tuple[Engine, Actor]:
    """A demo lounge of `members` guests on 2026-11-25, and its manager S001."""
    engine = open_desk_db(db)
    build_demo(engine, members=members, seed=7, today=date(2026, 11, 25))
    with Session(engine) as s:
        staff = s.scalar(select(Staff).where(Staff.staff_no == "S001"))
        assert staff is not None
        return engine, Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)


def grab(app: QApplication, widget: QWidget, name: str) -> None:
    widget.show()
    wait(app, lambda: False, 0.2)
    path = OUT / name
    if not widget.grab().save(str(path)):
        sys.exit(f"could not write {path}")
    print(path)


@contextmanager
def desk_window(prepare: Callable[[Path], Desk]) -> Iterator[tuple[QApplication, MainWindow]]:
    """The styled app and a 1366 × 738 window (a 1366 × 768 screen less its title bar), in
    Chinese, on the desk `prepare` builds in a temporary directory; the workers stop and
    the database closes afterwards."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    theme.apply(app)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        desk = prepare(Path(tmp) / "demo.db")
        ops = Ops()
        window = MainWindow(desk, ops, i18n.install("zh"))
        window.resize(1366, 738)
        window.show()
        yield app, window
        ops.shutdown()
        desk.engine.dispose()
