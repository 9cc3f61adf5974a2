"""One language at a time: the Chinese desk shows no English sentence, the English desk no
Chinese one, and neither shows a raw code (`complaint.advance`, `service_attitude`).

Every window and dialog is rendered in both languages and every visible text is read:
labels, buttons, window titles, combo items, table headers and cells, tooltips, the
status bar. The error paths (a wrong PIN, a locked account, a permission refusal, a
number out of range) are triggered for real and their words checked too.

Member data stays as written (a Chinese name on the English desk, a Latin name on the
Chinese one): those strings are read from the database and allowed explicitly.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vipdesk.db import open_desk_db
from vipdesk.models import Staff
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
from vipdesk.services.desk import Desk
from vipdesk.services.staff import set_demo_pins
from vipdesk.ui import i18n
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops

NOW = datetime(2026, 11, 25, 7, 20, tzinfo=UTC)  # 15:20 in Shanghai
LANGS = ("zh", "en")
MEMBER = "M0000001"  # 王小明 / Wang Xiaoming: preferences, an open complaint, visits

# Words the Chinese desk may show as they are: the product, key names, file kinds.
ZH_ALLOWED = {"vipdesk", "PIN", "PDF", "CSV", "QR", "VIP", "Ctrl", "Shift", "Enter", "Esc",
              "Tab", "Alt", "English", "SKP"}
# The language menu names both languages, each in its own: that is the point of it.
LANGUAGE_SWITCH_TEXTS = ("中文 / English", "English / 中文")
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff01-\uff5e]")
# snake_case or dotted lower-case identifiers: service codes that escaped translation
RAW_CODE = re.compile(r"(?<![\w@.])[a-z]+(?:[_.][a-z]+)+(?![\w@])")
HTML_TAG = re.compile(r"<[^>]+>")
MAX_ROWS = 60


# -- reading every visible text --------------------------------------------------------

def _item_texts(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return
    try:
        columns = model.columnCount(QModelIndex())
    except TypeError:  # a list model keeps its one column private
        columns = 1
    for col in range(columns):
        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = model.headerData(col, Qt.Orientation.Horizontal, role)
            if isinstance(value, str):
                yield value
    for row in range(min(model.rowCount(QModelIndex()), MAX_ROWS)):
        for col in range(columns):
            index = model.index(row, col, QModelIndex())
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(index, role)
                if isinstance(value, str):
                    yield value


def _widget_texts(w: QWidget) -> Iterator[str]:
    yield w.toolTip()
    if isinstance(w, QLabel):
        yield HTML_TAG.sub(" ", w.text())
    elif isinstance(w, QAbstractButton):
        yield w.text()
    elif isinstance(w, QLineEdit):
        yield w.placeholderText()
    elif isinstance(w, QComboBox):
        yield from (w.itemText(i) for i in range(w.count()))
    elif isinstance(w, QGroupBox):
        yield w.title()
    elif isinstance(w, QTabWidget):
        yield from (w.tabText(i) for i in range(w.count()))
    elif isinstance(w, (QPlainTextEdit, QTextEdit)):
        yield w.placeholderText()
    elif isinstance(w, QAbstractSpinBox):
        yield w.specialValueText()
        yield getattr(w, "suffix", lambda: "")()
        yield getattr(w, "prefix", lambda: "")()
    if isinstance(w, QAbstractItemView):
        yield from _item_texts(w)


def visible_texts(top: QWidget) -> list[str]:
    """Every text a person can read on `top` and its visible children."""
    texts = [top.windowTitle()]
    if isinstance(top, QMainWindow):
        texts += [a.text() for a in top.menuBar().actions()]
    for w in [top, *top.findChildren(QWidget)]:
        if w is top or w.isVisibleTo(top):
            texts += [x for x in _widget_texts(w) if x]
    return [x for x in texts if x and x.strip()]


# -- judging them ----------------------------------------------------------------------

def _strip(text: str, allowed: Iterable[str]) -> str:
    for word in allowed:
        if word in text:
            text = text.replace(word, " ")
    return text


def _other_language(text: str, lang: str) -> bool:
    if lang == "en":
        return CJK.search(text) is not None
    return any(word not in ZH_ALLOWED for word in ASCII_WORD.findall(text))


def leaks(texts: Iterable[str], lang: str, data: tuple[str, ...]) -> list[str]:
    """The texts that show the other language or a raw code."""
    found = []
    for text in texts:
        rest = text
        for switch in LANGUAGE_SWITCH_TEXTS:
            rest = rest.replace(switch, " ")
        if (CJK if lang == "en" else ASCII_WORD).search(rest) or RAW_CODE.search(rest):
            rest = _strip(rest, data)
        if RAW_CODE.search(rest) or _other_language(rest, lang):
            found.append(text)
    return sorted(set(found))


def member_data(engine: Engine) -> tuple[str, ...]:
    """What the desk shows as written: people's and stores' names and the records staff
    typed (longest first, so a name is removed before a part of it)."""
    from vipdesk import models as m

    columns = [m.Member.name_zh, m.Member.name_latin, m.Member.email, m.Member.address,
               m.Member.occupation, m.Member.family, m.Member.hobbies, m.Member.career,
               m.Member.lifestyle, m.Member.referral, m.Member.purchase_intent,
               m.Member.tier_override_reason, m.Staff.name, m.Preference.value,
               m.Purchase.description, m.Visit.purpose, m.Visit.offered,
               m.Complaint.place, m.Complaint.description, m.Complaint.impact,
               m.ComplaintEvent.note, m.ComplaintEvent.compensation_item,
               m.HomeVisit.present, m.HomeVisit.gift, m.HomeVisit.notes, m.HomeVisit.learned,
               m.FollowUpTask.description, m.CareContact.outcome, m.PointsEntry.reason,
               m.TierChange.reason, m.SyncConflict.kept_value, m.SyncConflict.lost_value]
    words: set[str] = set()
    with Session(engine) as s:
        for column in columns:
            words.update(v for v in s.scalars(select(column).distinct()) if v)
    words.update(("M0000001X", "李娜", "王芳"))  # the refused-changes rows below
    return tuple(sorted((w for w in words if len(w) > 1), key=len, reverse=True))


# -- the lounge --------------------------------------------------------------------------

def actor(engine: Engine, staff_no: str) -> Actor:
    with Session(engine) as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == staff_no)).one()
        return Actor(staff.id, staff.role, staff.name, staff.store_id, staff.staff_no)


@pytest.fixture
def lounge(demo_db: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "desk.db"
    shutil.copy(demo_db, path)
    engine = open_desk_db(path, migrate=False)
    with Session(engine) as s, s.begin():
        set_demo_pins(s)
    yield engine
    engine.dispose()


@pytest.fixture
def data(lounge: Engine) -> tuple[str, ...]:
    return member_data(lounge)


class Scene:
    """A manager's window in one language, and what it found on the way."""

    def __init__(self, qtbot: Any, engine: Engine, lang: str, data: tuple[str, ...]) -> None:
        self.qtbot, self.lang, self.data = qtbot, lang, data
        self.desk = Desk(engine, clock=FixedClock(NOW), actor=actor(engine, "S001"))
        self.ops = Ops()
        self.win = MainWindow(self.desk, self.ops, i18n.install(lang))
        qtbot.addWidget(self.win)
        self.win.resize(1366, 768)
        self.win.show()
        qtbot.waitExposed(self.win)
        self.win.gate._signed_in(self.desk.actor)
        self.found: dict[str, list[str]] = {}

    def check(self, name: str, top: QWidget | None = None, also: Iterable[str] = ()) -> None:
        """`also`: more data this screen shows as written."""
        self.qtbot.wait(30)
        allowed = tuple(sorted({*self.data, *also}, key=len, reverse=True))
        bad = leaks(visible_texts(top or self.win), self.lang, allowed)
        if bad:
            self.found[name] = bad

    def open_member(self, member_no: str = MEMBER) -> None:
        hit = self.desk.search(member_no).hits[0]
        self.win.open_member(hit)
        self.qtbot.waitUntil(lambda: self.win.card.profile is not None
                             and self.win.card.profile.member_id == hit.member_id,
                             timeout=5000)
        self.qtbot.wait(200)  # per-member state (check-out, care, void offers) arrives
        profile = self.win.card.profile
        assert profile is not None
        # how to greet the guest, in both languages, is the guest's data
        self.data = (*self.data, profile.honorific_zh, profile.honorific_en)

    def close(self) -> None:
        self.win.manager.board.stop()
        self.ops.shutdown()
        i18n.install("en")

    def report(self) -> str:
        return "\n".join(f"[{self.lang}] {name}: {texts}" for name, texts in self.found.items())


@pytest.fixture(params=LANGS)
def scene(request: Any, qtbot: Any, lounge: Engine, data: tuple[str, ...]) -> Iterator[Scene]:
    s = Scene(qtbot, lounge, request.param, data)
    yield s
    s.close()


def _dialogs() -> list[QDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


def _close_dialogs() -> None:
    for dialog in _dialogs():
        discard = getattr(dialog, "discard", None)
        (discard or dialog.reject)()


# -- the checks --------------------------------------------------------------------------

def test_the_desk_and_the_manager_pages_speak_one_language(scene: Scene) -> None:
    scene.check("start")
    scene.open_member()
    scene.check("desk page with a member card")
    pages = scene.win.manager
    pages.show_mode("queue")
    scene.qtbot.wait(300)
    scene.check("queue board")
    pages.show_mode("care")
    scene.qtbot.waitUntil(lambda: pages.care.model.rowCount() > 0, timeout=10000)
    # the message column is what to send the guest, in the guest's own language
    scene.check("care list", also=[item.message for item in pages.care.model.items])
    pages.show_mode("reports")
    for index in range(pages.reports.names.count()):
        pages.reports.names.setCurrentIndex(index)
        pages.reports.show_button.click()
        scene.qtbot.wait(400)
        scene.check(f"report {pages.reports.names.itemData(index)}")
    assert not scene.found, scene.report()
