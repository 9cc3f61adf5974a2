"""导入会员…: the preview before anything is written, the import with its progress bar,
cancelling between batches, the refusals in words, and who is offered the action."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.ui.conftest import sign_in
from tests.ui.test_language_leaks import leaks, visible_texts
from vipdesk.services import import_batches
from vipdesk.services.staff import DEMO_PIN
from vipdesk.ui import i18n
from vipdesk.ui.import_dialog import ENCODINGS, ImportDialog
from vipdesk.ui.main_window import MainWindow

SIMPLIFIED = ("王晓燕", "陈建国", "张丽华", "刘德明", "杨秀英", "黄志强", "赵雅琴", "周海涛",
              "吴桂芳", "徐文斌")
TRADITIONAL = ("陳大文", "黃志明", "張美玲", "劉德華", "楊麗娟", "趙國強", "吳淑貞", "鄭家豪",
               "謝寶儀", "許偉倫")


def write_members(path: Path, names: tuple[str, ...], rows: int, encoding: str,
                  header: str = "会员号,姓名,手机,近12个月消费") -> Path:
    lines = [header] + [f"IMP{i:04d},{names[i % len(names)]},139{i:08d},\"¥{i * 1000:,}\""
                        for i in range(rows)]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def open_dialog(win: MainWindow) -> ImportDialog:
    action = win.manager.member_import.action
    assert action.isVisible()
    action.trigger()
    dialog = win.manager.member_import.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def previewed(qtbot: Any, dialog: ImportDialog, path: Path) -> ImportDialog:
    dialog.set_path(str(path))
    qtbot.waitUntil(lambda: dialog.preview is not None or (bool(dialog.problem.text())
                    and dialog.problem.text() != i18n.t("Reading the file…")), timeout=10000)
    return dialog


def cell(dialog: ImportDialog, row: int, column: int) -> str:
    item = dialog.table.item(row, column)
    return item.text() if item is not None else ""


def members_imported(win: MainWindow) -> int:
    with win.desk.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM members WHERE member_no LIKE 'IMP%'")).scalar_one())


@pytest.mark.parametrize(("encoding", "names", "label"),
                         [("gb18030", SIMPLIFIED, "gb18030"),
                          ("big5hkscs", TRADITIONAL, "big5hkscs")])
def test_the_preview_reads_the_names_right_and_writes_nothing(
        qtbot: Any, win: MainWindow, tmp_path: Path, encoding: str,
        names: tuple[str, ...], label: str) -> None:
    header = "會員號,姓名,手機,近12個月消費" if names is TRADITIONAL else None
    path = write_members(tmp_path / "members.csv", names, 30, encoding,
                         **({"header": header} if header else {}))
    dialog = previewed(qtbot, open_dialog(win), path)
    assert dialog.preview is not None and dialog.preview.encoding == label
    assert [cell(dialog, r, 2) for r in range(10)] == list(names)
    assert cell(dialog, 1, 4) == "+8613900000001"  # as stored: E.164
    assert dialog.table.rowCount() == 20
    assert label.upper()[:2] in dialog.evidence.text().upper()  # GB18030 / Big5-HKSCS
    assert "会员号" in dialog.columns.text() and "姓名" in dialog.columns.text()
    assert dialog.import_button.isEnabled()
    assert members_imported(win) == 0
    frame = dialog.frameGeometry()  # fits the store's 1366 × 768 screens, taskbar too
    assert frame.width() <= 1366 and frame.height() <= 768 - 48
    assert dialog.minimumSizeHint().height() <= frame.height()
    dialog.reject()


def test_enter_on_a_typed_path_previews_it_and_imports_nothing(
        qtbot: Any, win: MainWindow, tmp_path: Path) -> None:
    path = write_members(tmp_path / "members.csv", SIMPLIFIED, 5, "gb18030")
    dialog = open_dialog(win)
    qtbot.keyClicks(dialog.path, str(path))
    qtbot.keyClick(dialog.path, "\r")
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    assert not dialog.running and members_imported(win) == 0
    assert cell(dialog, 0, 2) == SIMPLIFIED[0]
    dialog.reject()


def test_another_encoding_chosen_previews_again(qtbot: Any, win: MainWindow,
                                                tmp_path: Path) -> None:
    path = write_members(tmp_path / "members.csv", SIMPLIFIED, 5, "gb18030")
    dialog = previewed(qtbot, open_dialog(win), path)
    dialog.encoding.setCurrentIndex([c for c, _ in ENCODINGS].index("big5hkscs"))
    qtbot.waitUntil(lambda: dialog.preview is not None or (dialog.problem.text() != ""
                    and dialog.problem.text() != i18n.t("Reading the file…")), timeout=10000)
    assert dialog.preview is None or cell(dialog, 0, 2) != SIMPLIFIED[0]
    dialog.reject()


def test_a_refused_file_shows_why_and_cannot_be_imported(qtbot: Any, win: MainWindow,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("编号,客户,手机\n1,王小明,13800138000\n", encoding="utf-8")
    dialog = previewed(qtbot, open_dialog(win), path)
    assert dialog.preview is None
    assert "表头没有会员号或姓名列" in dialog.problem.text()
    assert not dialog.import_button.isEnabled()
    qtbot.keyClick(dialog, "\r")  # Enter does nothing unsafe
    assert members_imported(win) == 0 and dialog.isVisible()
    dialog.reject()


@pytest.mark.parametrize(("lang", "said"), [
    ("zh", "表头没有会员号列（现有：姓名, 手機, 性別, 生日, 會員卡號）"),
    ("en", "The header has no member number column (found: 姓名, 手機, 性別, 生日, 會員卡號)")])
def test_a_big5_file_without_member_numbers_says_so_in_its_own_characters(
        qtbot: Any, win: MainWindow, tmp_path: Path, lang: str, said: str) -> None:
    path = tmp_path / "hk.csv"
    path.write_bytes("姓名,手機,性別,生日,會員卡號\r\n陳大文,+852 9123 4567,男,1975-03-12,"
                     "880100000001\r\n歐陽嘉敏,(852) 6123-9876,女,1988-07-15,880100000002\r\n"
                     .encode("big5hkscs"))
    i18n.install(lang)
    dialog = previewed(qtbot, open_dialog(win), path)
    assert dialog.preview is None
    assert dialog.problem.text() == said
    assert not dialog.import_button.isEnabled()
    dialog.reject()


@pytest.mark.parametrize(("lang", "card_clash", "phone_clash"), [
    ("zh", "卡号 880100000001：已在第 2 行（会员 HK0001）",
     "电话 +85291234567：已在第 2 行（会员 HK0001）；家人共用的电话，请在该行的“共用电话”填“是”"),
    ("en", "Card no. 880100000001: already on line 2 (member HK0001)",
     "Phone +85291234567: already on line 2 (member HK0001); A family's shared phone needs "
     "“shared phone” = yes on the row")])
def test_the_preview_tells_which_rows_clash_before_anything_is_written(
        qtbot: Any, win: MainWindow, tmp_path: Path, lang: str, card_clash: str,
        phone_clash: str) -> None:
    """A Hong Kong file as written there (numbers with (852), Big5): a card or phone that
    an earlier line already has is refused by the import — the preview says so on that
    row, with its data, before the manager presses Import."""
    path = tmp_path / "hk.csv"
    path.write_bytes("會員號,姓名,手機,會員卡號\r\n"
                     "HK0001,陳大文,(852) 9123 4567,880100000001\r\n"
                     "HK0002,歐陽嘉敏,(852) 6123-9876,880100000001\r\n"
                     "HK0003,梁朝偉,852-9123 4567,880100000003\r\n".encode("big5hkscs"))
    i18n.install(lang)
    dialog = previewed(qtbot, open_dialog(win), path)
    problems = dialog.table.columnCount() - 1  # the last column: 问题 / Problem
    assert [cell(dialog, r, 1) for r in range(3)] == ["HK0001", "HK0002", "HK0003"]
    assert cell(dialog, 0, 4) == "+85291234567" and cell(dialog, 1, 4) == "+85261239876"
    assert [cell(dialog, r, problems) for r in range(3)] == ["", card_clash, phone_clash]
    assert dialog.table.item(2, problems).toolTip() == phone_clash  # read whole on hover
    data = ("陳大文", "歐陽嘉敏", "梁朝偉", "“會員號”", "“姓名”", "“手機”", "“會員卡號”",
            *(label for _, label in ENCODINGS if label), str(tmp_path), "hk.csv", "HK0001",
            "HK0002", "HK0003")
    assert leaks(visible_texts(dialog), lang, data) == []
    dialog.reject()

def test_the_import_shows_progress_and_the_report(qtbot: Any, win: MainWindow,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_batches, "BATCH_ROWS", 10)
    path = write_members(tmp_path / "members.csv", SIMPLIFIED, 35, "gb18030")
    with path.open("ab") as fh:  # one bad row: its line goes to the rejected-rows file
        fh.write("IMP9999,孙悦,12345,\n".encode("gb18030"))
    dialog = previewed(qtbot, open_dialog(win), path)
    seen: list[int] = []
    dialog.sig_progress.connect(seen.append)
    qtbot.keyClick(dialog, "\r")  # Enter imports what the preview shows
    assert dialog.running and not dialog.encoding.isEnabled()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=20000)
    assert seen == [10, 20, 30, 36]
    assert dialog.bar.value() == 36
    assert members_imported(win) == 35
    said = dialog.summary.text()
    assert "导入 35" in said and "拒收 1" in said, said
    rejected = str(path) + ".rejected.csv"
    assert rejected in said and Path(rejected).is_file()
    assert dialog.cancel_button.text() == "关闭" and not dialog.import_button.isEnabled()
    dialog.reject()
    assert not dialog.isVisible()


def test_cancel_keeps_whole_batches_only(qtbot: Any, win: MainWindow, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_batches, "BATCH_ROWS", 10)
    path = write_members(tmp_path / "members.csv", SIMPLIFIED, 35, "gb18030")
    dialog = previewed(qtbot, open_dialog(win), path)
    first_batch, go_on = threading.Event(), threading.Event()
    report_batch = dialog._batch_done

    def held(rows: int) -> bool:  # the first batch is committed; wait for Esc
        first_batch.set()
        go_on.wait(10)
        return report_batch(rows)

    dialog._batch_done = held  # type: ignore[method-assign]
    asked: list[bool] = []

    def stop_it() -> bool:  # the person answers yes
        asked.append(True)
        return True

    dialog.ask_stop = stop_it  # type: ignore[method-assign]
    dialog.start_import()
    qtbot.waitUntil(first_batch.is_set, timeout=10000)
    qtbot.keyClick(dialog, "\x1b")  # Esc while importing asks, and stops
    assert asked == [True] and dialog.isVisible()
    go_on.set()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=20000)
    assert dialog.outcome is not None and dialog.outcome.report.cancelled
    assert members_imported(win) == 10  # the first batch, whole; nothing of the second
    assert "10" in dialog.summary.text() and "整批" in dialog.summary.text()
    dialog.reject()


def test_the_lock_hides_a_running_import_and_reopening_shows_it(
        qtbot: Any, win: MainWindow, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_batches, "BATCH_ROWS", 10)
    path = write_members(tmp_path / "members.csv", SIMPLIFIED, 35, "gb18030")
    dialog = previewed(qtbot, open_dialog(win), path)
    go_on = threading.Event()
    report_batch = dialog._batch_done
    dialog._batch_done = lambda rows: go_on.wait(10) and report_batch(rows)  # type: ignore[method-assign]
    dialog.start_import()
    win.gate.lock()
    assert not dialog.isVisible() and dialog.stop.is_set()
    go_on.set()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=20000)
    assert dialog.outcome is not None and dialog.outcome.report.cancelled
    assert members_imported(win) == 10


def test_only_roles_that_may_import_are_offered_it(qtbot: Any, gated: MainWindow) -> None:
    action = gated.manager.member_import.action
    assert not action.isVisible()  # nobody signed in yet
    sign_in(qtbot, gated, "S005", DEMO_PIN)  # lounge staff
    qtbot.waitUntil(lambda: not gated.gate.locked, timeout=15000)
    assert not action.isVisible() and not action.isEnabled()
    gated.gate.lock()
    sign_in(qtbot, gated, "S001", DEMO_PIN)  # the manager
    qtbot.waitUntil(lambda: not gated.gate.locked, timeout=15000)
    assert action.isVisible() and action.isEnabled()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dialog_speaks_one_language(qtbot: Any, win: MainWindow, tmp_path: Path,
                                        lang: str) -> None:
    i18n.install(lang)
    path = write_members(tmp_path / "members.csv", SIMPLIFIED, 5, "gb18030")
    with path.open("ab") as fh:
        fh.write("IMP9999,孙悦,12345,¥abc\n".encode("gb18030"))
    dialog = previewed(qtbot, open_dialog(win), path)
    data = (*SIMPLIFIED, "孙悦", "“会员号”", "“姓名”", "“手机”", "“近12个月消费”",
            *(label for _, label in ENCODINGS if label), str(tmp_path), "members.csv",
            "missing.csv", *(f"IMP{i:04d}" for i in range(5)), "IMP9999")
    assert leaks(visible_texts(dialog), lang, data) == []
    problems = cell(dialog, 5, dialog.table.columnCount() - 1)  # the row that is refused
    assert "'12345'" in problems and ("近12个月消费" if lang == "zh" else "spend") in problems
    dialog.set_path(str(tmp_path / "missing.csv"))
    qtbot.waitUntil(lambda: dialog.problem.text() not in ("", i18n.t("Reading the file…")),
                    timeout=10000)
    assert leaks(visible_texts(dialog), lang, data) == []
    dialog.reject()


def test_cancel_on_a_desk_without_members_keeps_the_batches_so_far(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new desk's first load is one transaction; stopping it still commits the whole
    batches read so far, and only those."""
    from vipdesk.db import open_desk_db, session_factory, unit_of_work
    from vipdesk.desk import Desk
    from vipdesk.services.auth import SYSTEM
    from vipdesk.services.tiers import seed_default_tiers
    from vipdesk.ui.ops import Ops

    monkeypatch.setattr(import_batches, "BATCH_ROWS", 10)
    engine = open_desk_db(tmp_path / "new.db")
    with unit_of_work(session_factory(engine)) as session:
        seed_default_tiers(session)
    ops = Ops()
    dialog = ImportDialog(Desk(engine, actor=SYSTEM), ops)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog = previewed(qtbot, dialog, write_members(tmp_path / "m.csv", TRADITIONAL, 35,
                                                    "big5hkscs", "會員號,姓名,手機,近12個月消費"))
    report_batch = dialog._batch_done
    dialog._batch_done = lambda rows: rows < 20 and report_batch(rows)  # type: ignore[method-assign]
    dialog.start_import()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=20000)
    assert dialog.outcome is not None and dialog.outcome.report.cancelled
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM members")).scalar_one() == 20
    ops.shutdown()
    engine.dispose()
