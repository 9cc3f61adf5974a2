"""同步拒收: a manager reads why changes were refused, renumbers a member, sends it again
and closes another with a note; the window's menu opens it and the status bar counts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from tests.ui.conftest import MANAGER_NOW, sign_in, staff_actor
from vipdesk.db import session_factory, unit_of_work
from vipdesk.desk import Desk
from vipdesk.models import Member, SyncDeadLetter, SyncOutbox
from vipdesk.outbox import tables
from vipdesk.services.clock import FixedClock
from vipdesk.services.members import NewMember, add_member
from vipdesk.services.staff import DEMO_PIN
from vipdesk.sync import dead_letters
from vipdesk.sync.runner import SyncStatus
from vipdesk.ui import i18n
from vipdesk.ui.dead_letters import DeadLettersDialog, MemberNoDialog, NoteDialog
from vipdesk.ui.main_window import MainWindow
from vipdesk.ui.ops import Ops
from vipdesk.ui.sync_status import sync_text

REFUSED_AT = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)



def letter(s: Session, table: str, record_id: uuid.UUID, payload: dict[str, Any], reason: str,
           store: str, minutes: int) -> None:
    s.add(SyncDeadLetter(op_id=uuid.uuid4(), store=store, kind="insert", table_name=table,
                         record_id=record_id, payload=json.dumps(payload, ensure_ascii=False),
                         reason=reason, at=REFUSED_AT + timedelta(minutes=minutes)))


@pytest.fixture
def refused(demo_copy: Engine) -> Iterator[Engine]:
    """As after a sync of this desk (SH01) with BJ01: our new member 李娜 took a number
    BJ01 had used (refused at the centre, her phone with her), and BJ01's member with the
    number of our 王小明 could not be applied here."""
    with unit_of_work(session_factory(demo_copy)) as s:
        li = add_member(s, NewMember(member_no="M0000001X", name_zh="李娜",
                                     phones=["13900139000"]))
        s.flush()
        member_row = tables.encode_row("members", {c: getattr(li, c) for c in tables.
                                                   synced_column_names("members")})
        phone = li.phones[0]
        phone_row = {"id": str(phone.id), "member_id": str(li.id), "e164": phone.e164,
                     "suffix4": phone.suffix4, "label": None, "is_primary": True}
        letter(s, "members", li.id, {"row": member_row},
               "another record already holds one of its unique values", "SH01", 0)
        letter(s, "member_phones", phone.id, {"row": phone_row},
               'insert or update on table "member_phones" violates foreign key constraint '
               '"fk_member_phones_member_id_members"', "SH01", 0)
        theirs = uuid.uuid4()
        letter(s, "members", theirs, {"hlc": "x", "row": {
            "id": str(theirs), "member_no": "M0000001", "name_zh": "王芳"}},
            "pulled record clashes with a local record (same unique value, different id)",
            "BJ01", 1)
        s.execute(delete(SyncOutbox))  # 李娜 was pushed (that is how she was refused)
    yield demo_copy


def open_dialog(qtbot: Any, engine: Engine, staff_no: str) -> tuple[DeadLettersDialog, Ops]:
    i18n.install("zh")
    desk = Desk(engine, clock=FixedClock(MANAGER_NOW), actor=staff_actor(engine, staff_no))
    ops = Ops()
    dialog = DeadLettersDialog(desk, ops)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog, ops


def cells(dialog: DeadLettersDialog, row: int) -> list[str]:
    return [dialog.table.item(row, c).text() for c in range(dialog.table.columnCount())]


def outbox(engine: Engine) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    with Session(engine) as s:
        return [(o.kind, o.table_name, json.loads(o.payload))
                for o in s.scalars(select(SyncOutbox).order_by(SyncOutbox.seq))
                if o.table_name != "audit_log"]


def test_manager_renumbers_a_refused_member_and_sends_it_again(qtbot: Any,
                                                                refused: Engine) -> None:
    dialog, ops = open_dialog(qtbot, refused, "S001")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 3, timeout=5000)
    assert cells(dialog, 0) == ["11-25 14:31", "会员 · 新增", "王芳 (M0000001)",
                                "会员号 M0000001 在本机已被另一位会员使用"]
    dialog.table.selectRow(1)
    assert cells(dialog, 1)[1:] == ["会员 · 新增", "李娜 (M0000001X)",
                                    "会员号 M0000001X 在中心已被另一位会员使用"]
    assert "原始记录：another record already holds" in dialog.detail.toPlainText()
    assert dialog.retry.isEnabled() and dialog.renumber.isEnabled()
    dialog.table.selectRow(2)
    assert cells(dialog, 2)[1:3] == ["会员电话 · 新增", "李娜 (M0000001X)"]
    assert "*******9000" in dialog.detail.toPlainText()  # masked, as on the card
    assert "13900139000" not in dialog.detail.toPlainText()
    assert not dialog.renumber.isEnabled()  # a phone has no member number of its own

    dialog.table.selectRow(1)
    before = len(outbox(refused))
    dialog.renumber.click()
    form = dialog.form
    assert isinstance(form, MemberNoDialog)
    form.number.setText("M0000001")  # 王小明's: the service says so, in Chinese
    form.ok.click()
    qtbot.waitUntil(lambda: "已被 王小明 使用" in form.general.text(), timeout=5000)
    form.number.setText("M0000002B")
    form.ok.click()
    qtbot.waitUntil(lambda: getattr(dialog.selected(), "member_no", "") == "M0000002B",
                    timeout=5000)  # the list read again, the same letter still selected
    assert "会员号已修改" in dialog.message.text()
    assert cells(dialog, dialog.table.currentRow())[2] == "李娜 (M0000002B)"
    assert len(outbox(refused)) == before + 1  # an ordinary edit, queued for the centre

    dialog.retry.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5000)
    assert dialog.message.text() == "已重新发送 2 条（随下次同步上传）。"
    sent = outbox(refused)[before:]
    assert [(k, t) for k, t, _ in sent] == [("insert", "members"), ("insert", "member_phones")]
    assert sent[0][2]["row"]["member_no"] == "M0000002B"
    ops.shutdown()


def test_no_further_action_asks_for_a_note(qtbot: Any, refused: Engine) -> None:
    dialog, ops = open_dialog(qtbot, refused, "S001")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 3, timeout=5000)
    dialog.table.selectRow(0)  # BJ01's 王芳
    dialog.dismiss.click()
    form = dialog.form
    assert isinstance(form, NoteDialog)
    assert not form.is_valid()  # a note is required
    form.note.setText("同一位客人，已请总部合并")
    assert form.is_valid()
    form.ok.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=5000)
    assert dialog.message.text() == "已结束处理 1 条。"
    with Session(refused) as s:
        closed = s.scalars(select(SyncDeadLetter).where(
            SyncDeadLetter.handled_at.is_not(None))).one()
    assert (closed.handling, closed.note, closed.handled_by) == (
        "dismissed", "同一位客人，已请总部合并", "周婷")
    ops.shutdown()


def test_a_record_gone_from_the_desk_cannot_be_sent_again(qtbot: Any, refused: Engine) -> None:
    with unit_of_work(session_factory(refused)) as s:
        li = s.scalars(select(Member).where(Member.member_no == "M0000001X")).one()
        li.phones.clear()
    dialog, ops = open_dialog(qtbot, refused, "S001")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 3, timeout=5000)
    dialog.table.selectRow(2)
    assert not dialog.retry.isEnabled() and dialog.dismiss.isEnabled()
    assert "无法重新发送：本机已没有这条记录" in dialog.detail.toPlainText()
    ops.shutdown()


def test_lounge_staff_are_told_who_may(qtbot: Any, refused: Engine) -> None:
    dialog, ops = open_dialog(qtbot, refused, "S005")
    qtbot.waitUntil(lambda: "店长或管理员" in dialog.message.text(), timeout=5000)
    assert dialog.table.rowCount() == 0 and not dialog.retry.isEnabled()
    ops.shutdown()


def test_menu_and_status_bar(qtbot: Any, refused: Engine, win: MainWindow) -> None:
    assert win.manager.dead_letters_action.text() == "同步拒收"
    actions = [a.text() for a in win.menuBar().actions()]
    assert actions.index("同步拒收") == actions.index("同步冲突") + 1
    win.show_sync_status(SyncStatus(online=True, pending=0))
    qtbot.waitUntil(lambda: "3 条被拒收" in win.sync_label.text(), timeout=5000)
    assert win.sync_label.text().startswith("在线")
    win.manager.dead_letters_action.trigger()
    dialog = win.findChild(DeadLettersDialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 3, timeout=5000)
    dialog.table.selectRow(0)
    dialog.dismiss.click()
    dialog.form.note.setText("重复登记")  # type: ignore[union-attr]
    dialog.form.ok.click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: "2 条被拒收" in win.sync_label.text(), timeout=5000)
    dialog.close()


def test_status_words() -> None:
    i18n.install("zh")
    try:
        assert sync_text(None, 2) == "单机模式（未配置中心数据库）  ·  ⚠ 2 条被拒收（见“同步拒收”）"
        assert "被拒收" not in sync_text(SyncStatus(online=True, pending=0), 0)
    finally:
        i18n.install("en")


def test_every_word_the_service_gives_has_chinese() -> None:
    zh = i18n.table("zh")
    words = [*dead_letters.TABLE_WORDS.values(), *dead_letters.KIND_WORDS.values(),
             *dead_letters.REASONS.values(), dead_letters.GONE_HERE, dead_letters.BACK_HERE,
             dead_letters.NOT_HERE, dead_letters.NOTE_REQUIRED, dead_letters.NOTE_TOO_LONG,
             dead_letters.NO_SUCH_LETTER, dead_letters.ALREADY_HANDLED]
    assert [w for w in words if w not in zh] == []
    assert set(dead_letters.TABLE_WORDS) == set(tables.synced_tables())


def test_the_menu_entry_follows_who_signed_in(qtbot: Any, gated: MainWindow) -> None:
    sign_in(qtbot, gated, "S001", DEMO_PIN)  # the manager
    qtbot.waitUntil(lambda: not gated.gate.locked, timeout=10000)
    assert gated.manager.dead_letters_action.isEnabled()
    gated.gate.lock()
    assert not gated.manager.dead_letters_action.isEnabled()
    sign_in(qtbot, gated, "S005", DEMO_PIN)  # lounge staff
    qtbot.waitUntil(lambda: not gated.gate.locked, timeout=10000)
    assert "张敏" in gated.who.text() and not gated.manager.dead_letters_action.isEnabled()
