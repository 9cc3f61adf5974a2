"""The window marks a tampered audit log in its status bar as soon as it starts; a desk
that cannot open is a dialog with the one sentence, then the exit code, no window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox

from vipdesk import app as desk_app
from vipdesk.config import Config
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.services import audit
from vipdesk.services.auth import SYSTEM
from vipdesk.storage import DESK_OPEN_EXIT
from vipdesk.ui import i18n


def _desk_with_log(path: Path, tamper: bool) -> None:
    engine = open_desk_db(path)
    with unit_of_work(session_factory(engine)) as s:
        for detail in ("one", "two"):
            audit.record(s, SYSTEM, "staff.add", None, detail)
    if tamper:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("UPDATE audit_log SET detail = 'three' WHERE seq = 1")
    engine.dispose()


@pytest.fixture
def built(qtbot, tmp_path: Path, request: pytest.FixtureRequest  # type: ignore[no-untyped-def]
          ) -> Iterator[desk_app.DeskApp]:
    path = tmp_path / "desk.db"
    _desk_with_log(path, tamper=request.param)
    app = desk_app.build(Config(db=path, sign_in=False, language="en"))
    qtbot.addWidget(app.window)
    app.window.show()
    yield app
    app.ops.shutdown()
    app.desk.engine.dispose()
    i18n.install("en")


def _warning(app: desk_app.DeskApp) -> QLabel | None:
    return app.window.statusBar().findChild(QLabel, "auditWarning")


@pytest.mark.parametrize("built", [True], indirect=True)
def test_a_tampered_log_is_marked_at_start(qtbot, built: desk_app.DeskApp) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: _warning(built) is not None, timeout=5000)
    label = _warning(built)
    assert label is not None and label.isVisible()
    assert "tampered" in label.text() and "audit verify" in label.toolTip()
    i18n.install("zh")  # Ctrl+L: the mark follows the desk's language
    qtbot.waitUntil(lambda: label.text() == "审计日志已被篡改：请通知管理员", timeout=2000)


@pytest.mark.parametrize("built", [False], indirect=True)
def test_an_intact_log_shows_nothing(qtbot, built: desk_app.DeskApp) -> None:  # type: ignore[no-untyped-def]
    qtbot.wait(300)
    assert _warning(built) is None


@pytest.mark.parametrize("fault", ["missing key file", "wrong key", "no database"])
def test_a_desk_that_cannot_open_is_a_dialog_then_exit_3(
        qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
        capfd: pytest.CaptureFixture[str], fault: str) -> None:
    from vipdesk import crypto

    db, key = tmp_path / "enc.db", tmp_path / "desk.key"
    plain = tmp_path / "plain.db"
    _desk_with_log(plain, tamper=False)
    crypto.encrypt_copy(plain, db, crypto.key_from_file(key, create=True))
    if fault == "missing key file":
        key.unlink()
    elif fault == "wrong key":
        key.unlink()
        crypto.create_key_file(key)
    else:
        db = tmp_path / "typo.db"
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: shown.append(text))
    code = desk_app.run(Config(db=db, db_key_file=str(key), sign_in=False, language="en"))
    assert code == DESK_OPEN_EXIT
    assert len(shown) == 1 and "\n" not in shown[0]
    assert capfd.readouterr().err.strip() == f"vipdesk: {shown[0]}"  # no SQLCipher lines
    assert not (tmp_path / "typo.db").exists()
