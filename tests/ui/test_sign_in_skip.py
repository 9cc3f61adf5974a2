"""Only a demo desk may open without a sign-in, and its title says so: `sign_in = false`
(config or VIPDESK_SIGN_IN=0) on a real desk still shows the sign-in screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from vipdesk import app as desk_app
from vipdesk.config import Config
from vipdesk.db import open_desk_db, session_factory, unit_of_work
from vipdesk.services.cli_sessions import mark_demo
from vipdesk.ui import i18n


def _desk(path: Path, demo: bool) -> Path:
    engine = open_desk_db(path)
    if demo:
        with unit_of_work(session_factory(engine)) as s:
            mark_demo(s)
    engine.dispose()
    return path


@pytest.mark.parametrize(("demo", "sign_in", "locked"), [
    (False, False, True), (False, True, True), (True, True, True), (True, False, False)])
def test_sign_in_is_skipped_on_a_demo_desk_only(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                demo: bool, sign_in: bool,
                                                locked: bool) -> None:
    path = _desk(tmp_path / "desk.db", demo)
    app = desk_app.build(Config(db=path, sign_in=sign_in, language="en"))
    qtbot.addWidget(app.window)
    try:
        assert app.window.gate.locked is locked
        title = app.window.windowTitle()
        assert ("demo desk, no sign-in" in title) is (not locked), title
        if not locked:
            i18n.install("zh")
            qtbot.waitUntil(lambda: "演示库，免登录" in app.window.windowTitle(), timeout=2000)
    finally:
        app.ops.shutdown()
        app.desk.engine.dispose()
        i18n.install("en")
