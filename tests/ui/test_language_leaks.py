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

import contextlib
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
from vipdesk.desk import Desk
from vipdesk.models import Staff
from vipdesk.services.auth import Actor
from vipdesk.services.clock import FixedClock
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
RAW_CODE = re.compile(r"(?<![\w@.])[a-z]{2,}(?:[_.][a-z]{2,})+(?![\w@])")
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
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def data(demo_engine: Engine) -> tuple[str, ...]:
    """The demo lounge's data (what a test adds, it allows itself)."""
    return member_data(demo_engine)


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
        hit = self.desk.members.search(member_no).hits[0]
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

def _history_the_services_wrote(scene: Scene) -> None:
    """Records whose words come from the desk itself, not from staff: a survey, tier
    changes by spend, overnight and by a manager, a welcome card printed by an older
    version (its note was an English sentence)."""
    from vipdesk import models as m
    from vipdesk.services.surveys import SurveyDraft

    member_id = _member_id(scene)
    scene.desk.surveys.record(member_id, SurveyDraft("sales", {"courteous": "satisfied"}))
    with Session(scene.desk.engine) as s, s.begin():
        for kind, tier, reason in (("auto", "diamond", "12m spend ¥1,234,567"),
                                   ("auto", "black", "purchase: 12m spend ¥234,567"),
                                   ("auto", "senior", "lapse: 12m spend ¥51,000"),
                                   ("auto", "black", "nightly recompute"),
                                   ("override", "black", "集团贵宾"),
                                   ("override_cleared", "diamond", "集团贵宾")):
            s.add(m.TierChange(member_id=member_id, from_tier="senior", to_tier=tier,
                               kind=kind, reason=reason, created_at=NOW))
        s.add(m.CareContact(member_id=member_id, kind="welcome_card", channel="print",
                            outcome="printed on PDF, job PDF-4", at=NOW, created_at=NOW))
    scene.data = (*scene.data, "集团贵宾")


def test_the_desk_and_the_manager_pages_speak_one_language(scene: Scene) -> None:
    scene.check("start")
    _history_the_services_wrote(scene)
    scene.open_member()
    scene.check("desk page with a member card")
    scene.win.search.setText("王")  # a list of hits, each with its tier
    scene.win._run_search()
    scene.qtbot.waitUntil(lambda: len(scene.win.results_model.hits) > 5, timeout=5000)
    scene.check("search results")
    pages = scene.win.manager
    for hit in scene.win.results_model.hits[:3]:
        scene.desk.queue.add(hit.member_id, "advisor", appointment=False)
    scene.win.show_mode("queue")
    scene.qtbot.waitUntil(lambda: pages.board.model.rowCount() >= 3, timeout=5000)
    scene.check("queue board")
    scene.win.show_mode("care")
    scene.qtbot.waitUntil(lambda: pages.care.model.rowCount() > 0, timeout=10000)
    # the message column is what to send the guest, in the guest's own language
    scene.check("care list", also=[item.message for item in pages.care.model.items])
    scene.win.show_mode("reports")
    for index in range(pages.reports.names.count()):
        pages.reports.names.setCurrentIndex(index)
        pages.reports.show_button.click()
        scene.qtbot.wait(400)
        scene.check(f"report {pages.reports.names.itemData(index)}")
    assert not scene.found, scene.report()


def _member_id(scene: Scene) -> Any:
    return scene.desk.members.search(MEMBER).hits[0].member_id


def _prepare_the_member(scene: Scene) -> Any:
    """Checked in today (the card offers check-out and voiding) with a contacted minor
    complaint (the complaint steps offer resolving, with points)."""
    from vipdesk.services.complaints import ComplaintDraft, StepDraft
    from vipdesk.services.visits import VisitError

    member_id = _member_id(scene)
    with contextlib.suppress(VisitError):
        scene.desk.visits.check_in(member_id, None, None)
    view = scene.desk.complaints.open(member_id, ComplaintDraft(
        "service_attitude", "minor", "店员未及时招呼"))
    scene.desk.complaints.advance(view.complaint_id, StepDraft("contacted", "已致电道歉"))
    scene.data = (*scene.data, "店员未及时招呼", "已致电道歉")
    return member_id


def _dialog(scene: Scene, opened: QDialog | None) -> QDialog:
    assert opened is not None
    scene.qtbot.waitUntil(opened.isVisible, timeout=5000)
    scene.qtbot.wait(300)  # what the dialog loads (lists, balances, advisors) arrives
    return opened


def _check_dialog(scene: Scene, name: str, dialog: QDialog, also: Iterable[str] = ()) -> None:
    scene.check(name, dialog, also)
    _close_dialogs()
    scene.qtbot.waitUntil(lambda: not _dialogs(), timeout=5000)


def test_every_form_on_the_card_speaks_one_language(scene: Scene) -> None:
    from vipdesk.ui.complaint_steps import ComplaintsDialog
    from vipdesk.ui.history_forms import CheckInDialog, ComplaintDialog, HomeVisitDialog
    from vipdesk.ui.points_forms import CheckOutDialog, PointsDialog

    _prepare_the_member(scene)
    scene.open_member()
    win = scene.win
    forms = win.history_forms
    for kind in (CheckInDialog, ComplaintDialog, HomeVisitDialog):
        dialog = _dialog(scene, forms.open(kind))
        dialog.submit()  # type: ignore[attr-defined]  # empty or refused: words show
        scene.qtbot.wait(500)
        _check_dialog(scene, kind.__name__, dialog)
    complaints = _dialog(scene, forms.open(ComplaintsDialog))
    _check_dialog(scene, "open complaints", complaints)
    for kind in (CheckOutDialog, PointsDialog):
        _check_dialog(scene, kind.__name__, _dialog(scene, win.points_forms.open(kind)))
    survey = _dialog(scene, win.survey_forms.open())
    survey.questionnaire.setCurrentIndex(1)  # type: ignore[attr-defined]
    survey.submit()  # type: ignore[attr-defined]
    _check_dialog(scene, "survey", survey)
    care = _dialog(scene, win.care_contact_forms.open())
    care.submit()  # type: ignore[attr-defined]
    _check_dialog(scene, "care contact", care)
    win.manager.ask_add_to_queue()
    _check_dialog(scene, "add to queue", _dialog(scene, win.manager.add_dialog))
    visit_id = next(iter(win.void_visit_forms.visits))
    void = _dialog(scene, win.void_visit_forms.open(visit_id))
    void.submit()  # type: ignore[attr-defined]
    _check_dialog(scene, "void visit", void)
    assert not scene.found, scene.report()


def test_the_card_print_dialog_and_its_refusal_speak_one_language(scene: Scene) -> None:
    from vipdesk.printing.cups import PrintResult
    from vipdesk.ui.printing import CardDialog

    def no_printer(*_: Any) -> PrintResult:  # what cups.submit answers on such a desk
        return PrintResult(False, "", message="Cannot print: no printer chosen and this "
                                              "desk has no default printer.")

    scene.desk.cards.print_fn = no_printer
    scene.open_member()
    scene.win.open_card_dialog(_member_id(scene))
    dialog = next(w for w in _dialogs() if isinstance(w, CardDialog))
    scene.qtbot.waitUntil(lambda: dialog.print_button.isEnabled(), timeout=15000)
    printers = [dialog.printer_box.itemText(i) for i in range(dialog.printer_box.count())]
    scene.check("card print dialog", dialog, printers)
    dialog.printer_box.clear()
    dialog.print_card()
    scene.qtbot.waitUntil(lambda: dialog.print_button.isEnabled(), timeout=15000)
    scene.check("card print refused", dialog, printers)
    said = dialog.status.text()
    assert ("未选择打印机" if scene.lang == "zh" else "no printer is chosen") in said
    dialog.reject()
    assert not scene.found, scene.report()


def _set_pins(scene: Scene) -> None:
    """The demo PINs (Argon2: only for the tests that sign in)."""
    with Session(scene.desk.engine) as s, s.begin():
        set_demo_pins(s)


def _signs_in(scene: Scene, staff_no: str, secret: str) -> str:
    screen = scene.win.gate.screen
    screen.error.clear()
    screen.staff_no.setText(staff_no)
    screen.secret.setText(secret)
    screen.submit()
    scene.qtbot.waitUntil(lambda: screen.error.text() != "" or not scene.win.gate.locked,
                          timeout=15000)
    return screen.error.text()


def test_sign_in_lock_screen_and_their_errors_speak_one_language(scene: Scene) -> None:
    _set_pins(scene)
    gate = scene.win.gate
    gate.require_sign_in()
    scene.check("sign-in screen")
    wrong = _signs_in(scene, "S005", "000000")
    scene.check("sign-in, wrong PIN")
    assert wrong == ("员工号或 PIN 码不正确，请重试。" if scene.lang == "zh"
                     else "Wrong staff number or PIN. Please try again.")
    for _ in range(4):
        _signs_in(scene, "S006", "000000")
    locked = _signs_in(scene, "S006", "000000")
    # locked for 15 minutes from 15:20 in Shanghai, said in the store's time, not UTC
    assert "15:35" in locked and "UTC" not in locked and "07:35" not in locked
    scene.check("sign-in, account locked")
    scene.win.gate._signed_in(scene.desk.actor)
    gate.lock()
    scene.check("lock screen")
    _signs_in(scene, "S001", "000000")
    scene.check("lock screen, wrong PIN")
    assert not scene.found, scene.report()


def test_refusals_and_range_errors_speak_one_language(scene: Scene) -> None:
    """A lounge staff member asks for a manager's step; a manager types points out of
    range and a wrong current PIN."""
    from vipdesk.ui.change_pin import open_change_pin
    from vipdesk.ui.complaint_steps import ComplaintsDialog
    from vipdesk.ui.points_forms import PointsDialog

    _prepare_the_member(scene)
    manager = scene.desk.actor
    scene.desk.actor = actor(scene.desk.engine, "S005")  # 张敏, lounge staff
    scene.open_member()
    steps = _dialog(scene, scene.win.history_forms.open(ComplaintsDialog))
    assert isinstance(steps, ComplaintsDialog)
    scene.qtbot.waitUntil(lambda: bool(steps.views), timeout=5000)
    steps.list.setCurrentRow(next(i for i, v in enumerate(steps.views)
                                  if v.state == "contacted"))
    steps.note.setText("已致歉")
    steps.points.setValue(200)
    steps.advance("resolved")  # no button offered: as if the service were asked
    scene.qtbot.waitUntil(lambda: steps.error.text() not in ("", t_saving()), timeout=5000)
    refusal = steps.error.text()  # who may, not the action's code
    assert ("经理" in refusal or "店长" in refusal) if scene.lang == "zh" else (
        "manager" in refusal)
    assert "complaint." not in refusal and "staff" not in refusal
    _check_dialog(scene, "complaint step refused", steps)
    scene.desk.actor = manager
    points = _dialog(scene, scene.win.points_forms.open(PointsDialog))
    assert isinstance(points, PointsDialog)
    points.action.setCurrentIndex(points.action.findData("earn"))
    points.amount.setValue(-999_999)
    points.submit()
    said = points.errors["points"].text()
    assert said == ("须在 1 到 10,000,000 之间（现为 -999,999）" if scene.lang == "zh"
                    else "Must be between 1 and 10,000,000 (now -999,999)")
    _check_dialog(scene, "points out of range", points)
    _set_pins(scene)
    pin = open_change_pin(scene.win)
    pin.current.setText("000000")
    pin.new.setText("135792")
    pin.repeat.setText("135792")
    pin.submit()
    scene.qtbot.waitUntil(lambda: pin.general.text() not in ("", t_saving()), timeout=15000)
    _check_dialog(scene, "change PIN, wrong current PIN", pin)
    assert not scene.found, scene.report()


def t_saving() -> str:
    from vipdesk.ui.i18n import t

    return t("Saving…")


def _refused_changes(engine: Engine) -> None:
    """A concurrent edit to settle and a change the centre refused."""
    import json
    import uuid

    from vipdesk.models import Member, SyncConflict, SyncDeadLetter

    with Session(engine) as s, s.begin():
        wang = s.scalars(select(Member).where(Member.member_no == MEMBER)).one()
        s.add(SyncConflict(table_name="members", record_id=wang.id, field="occupation",
                           kept_value=json.dumps("基金经理"), kept_store="SH01",
                           kept_hlc="000001764036000000-0000-SH01",
                           lost_value=json.dumps("投资公司合伙人"), lost_store="BJ01",
                           lost_hlc="000001764035000000-0000-BJ01", detected_at=NOW))
        theirs = uuid.uuid4()
        s.add(SyncDeadLetter(
            op_id=uuid.uuid4(), store="BJ01", kind="insert", table_name="members",
            record_id=theirs, reason="pulled record clashes with a local record (same "
                                     "unique value, different id)", at=NOW,
            payload=json.dumps({"hlc": "x", "row": {"id": str(theirs), "member_no": MEMBER,
                                                     "name_zh": "王芳"}}, ensure_ascii=False)))


def test_conflicts_and_refused_changes_speak_one_language(scene: Scene,
                                                          lounge: Engine) -> None:
    from vipdesk.ui.conflicts import ConflictsDialog
    from vipdesk.ui.dead_letters import DeadLettersDialog

    _refused_changes(lounge)
    scene.win.manager.open_conflicts()
    conflicts = next(w for w in _dialogs() if isinstance(w, ConflictsDialog))
    scene.qtbot.waitUntil(lambda: conflicts.table.rowCount() == 1, timeout=5000)
    _check_dialog(scene, "sync conflicts", conflicts, ("基金经理", "投资公司合伙人"))
    scene.win.manager.open_dead_letters()
    letters = next(w for w in _dialogs() if isinstance(w, DeadLettersDialog))
    scene.qtbot.waitUntil(lambda: letters.table.rowCount() == 1, timeout=5000)
    scene.qtbot.wait(300)
    _check_dialog(scene, "refused changes", letters)
    assert not scene.found, scene.report()


def test_the_member_import_dialog_speaks_one_language(scene: Scene, tmp_path: Path) -> None:
    """The preview (the encoding and why, the columns, rows with their problems) and a
    refused file. The file's own text and the encodings' names are shown as written."""
    from vipdesk.ui.import_dialog import ENCODINGS

    path = tmp_path / "members.csv"
    path.write_bytes("会员号,姓名,手机,生日,备注\nN001,陈建国,139 1234 5678,1980-02-30,\n"
                     "N002,王晓燕,139,,\n".encode("gb18030"))
    dialog = scene.win.manager.member_import.open()
    dialog.set_path(str(path))
    scene.qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    shown = (str(path), "N001", "N002", "陈建国", "王晓燕", "'139'", "“会员号”", "“姓名”",
             "“手机”", "“生日”", "“备注”", *(label for _, label in ENCODINGS if label))
    scene.check("member import preview", dialog, shown)
    path.write_text("编号,客户\n1,王小明\n", encoding="utf-8")
    dialog.load_preview()
    scene.qtbot.waitUntil(lambda: dialog.preview is None and dialog.problem.text() not in (
        "", i18n.t("Reading the file…")), timeout=10000)
    _check_dialog(scene, "member import refused", dialog, (*shown, "编号", "客户"))
    assert not scene.found, scene.report()


def test_ctrl_l_brings_every_line_into_the_other_language(scene: Scene) -> None:
    """Lines set before the switch (store, who is signed in, sync status, the card's tier)
    follow it: they stayed in the language the desk started in."""
    from vipdesk.sync.runner import SyncStatus

    scene.qtbot.waitUntil(lambda: scene.win.store.text() != "", timeout=5000)
    scene.win.show_sync_status(SyncStatus(online=False, pending=3,
                                          last_error="central database unreachable"))
    scene.open_member()
    scene.win.show_mode("reports")
    scene.qtbot.waitUntil(lambda: scene.win.manager.reports.report is not None, timeout=5000)
    scene.win.show_mode("desk")
    scene.win.toggle_language()
    scene.lang = "en" if scene.lang == "zh" else "zh"
    scene.qtbot.wait(500)  # the language change reaches every widget; the overdue count
    scene.check("after Ctrl+L")
    scene.win.show_mode("reports")
    scene.check("reports after Ctrl+L")
    store = scene.win.store.text()
    assert store.startswith("SH01") if scene.lang == "en" else store.startswith("上海恒隆广场店")
    assert not scene.found, scene.report()


# -- the services' words, one by one ----------------------------------------------------

def test_every_word_the_desk_may_show_for_a_service_has_chinese() -> None:
    from vipdesk.ui.messages import ERROR_PATTERNS, FIELD_CODES, FIELD_PATTERNS
    from vipdesk.ui.names import CARD_FIELDS, FIELD_NAMES, ROLE_NAMES

    zh = i18n.table("zh")
    sources = [words for _, words in (*FIELD_PATTERNS, *ERROR_PATTERNS)]
    sources += FIELD_CODES.values()
    for names in (ROLE_NAMES, CARD_FIELDS, FIELD_NAMES):
        sources += names.values()
    assert [s for s in sources if s not in zh] == []


def _service_refusals() -> list[BaseException]:
    """What the services raise at people, built the way the services build it."""
    from vipdesk.desk.cards import CardPrintError
    from vipdesk.printing import cups
    from vipdesk.services import auth
    from vipdesk.services.points import InsufficientPoints
    from vipdesk.services.queue import QueueError
    from vipdesk.services.staff import SAME_SECRET, StaffError, secret_problem
    from vipdesk.services.visits import VisitError

    staff = auth.Actor(None, "staff", "张敏")
    refusals: list[BaseException] = [
        VisitError("王小明 is already checked in (since 15:20); check out first"),
        VisitError("王小明 is not checked in today"),
        QueueError("王小明 is already on the board"),
        InsufficientPoints("points: balance is 1,200, cannot take 5,000"),
        StaffError(secret_problem("123") or ""), StaffError(secret_problem("111111") or ""),
        StaffError(SAME_SECRET),
        CardPrintError(cups.PrintResult(False, "Desk", message=cups._not_ready_message(
            cups.PrinterStatus("Desk", exists=True, enabled=False, reason="paused")))),
        CardPrintError(cups.PrintResult(False, "Desk", message=cups._not_ready_message(
            cups.PrinterStatus("Desk", exists=False)))),
    ]
    for action in ("complaint.advance", "staff.manage", "homevisit.log.own"):
        try:
            auth.require(staff, action)
        except auth.PermissionDenied as refused:
            refusals.append(refused)
    try:
        cups._resolve("")
    except cups.CupsError as error:
        refusals.append(CardPrintError(cups.PrintResult(False, "", message=f"Cannot print: "
                                                                           f"{error}.")))
    return refusals


def _field_problems() -> list[Any]:
    from datetime import date

    from vipdesk.services import validation
    from vipdesk.services.complaints import StepDraft, validate_step
    from vipdesk.services.surveys import SurveyDraft, validate_survey

    today = date(2026, 11, 25)
    return [*validation.text("note", "x" * 600, limit=500),
            *validation.text("note", "a\x07b", limit=500),
            *validation.choice("kind", "nonsense", ("phone", "sms")),
            *validation.not_future("visited_on", date(2026, 12, 1), today),
            *validation.int_range("points", -999_999, 1, 10_000_000),
            *validation.int_range("points", None, 1, 10),
            *validate_step(StepDraft("closed"), "received", "minor"),
            *validate_step(StepDraft("resolved", item="礼品"), "contacted", "minor"),
            *validate_survey(SurveyDraft("sales", {}))]


@pytest.mark.parametrize("lang", LANGS)
def test_each_service_refusal_and_field_problem_reads_in_the_desks_language(
        qtbot: Any, lang: str) -> None:
    from vipdesk.services.staff import SignInFailed
    from vipdesk.ui.messages import error_text, field_text

    i18n.install(lang)
    try:
        locked = SignInFailed("account locked until 07:35 UTC; ask a manager or wait",
                              datetime(2026, 11, 25, 7, 35, tzinfo=UTC))
        said = {repr(e): error_text(e) for e in [*_service_refusals(), locked]}
        said |= {repr(e): field_text(e) for e in _field_problems()}
        general = i18n.t("This could not be done. The details are in the desk's log.")
        assert [k for k, text in said.items() if text == general] == []
        assert leaks(said.values(), lang, ("王小明", "礼品", "Desk")) == []
        assert "15:35" in said[repr(locked)]
    finally:
        i18n.install("en")
