"""A desk's audit chain that arrived broken at the centre shows in the sync conflicts
window, in the desk's language, and can only be acknowledged."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.ui.test_conflicts import NOW, dialog_for
from vipdesk.models import SyncConflict
from vipdesk.ui import i18n


@pytest.fixture
def alert(demo_copy: Engine) -> Iterator[Engine]:
    problem = "entry 4 does not follow entry 3 (entries deleted, reordered or replaced)"
    with Session(demo_copy) as s, s.begin():
        s.add(SyncConflict(
            table_name="audit_log", record_id=uuid.uuid4(), field="audit_chain",
            kept_value=json.dumps({"desk_key": str(uuid.uuid4())}), kept_store="centre",
            kept_hlc="", lost_value=json.dumps({"kind": "unlinked", "seq": 4,
                                                "problem": problem}),
            lost_store="BJ01", lost_hlc="000001764035000000-0000-BJ01", detected_at=NOW))
    yield demo_copy
    i18n.install("en")


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Audit log", "Entry 4 does not follow the copy head office holds", "BJ01")),
    ("zh", ("审计日志", "第 4 条接不上总部保存的副本", "BJ01")),
])
def test_the_alert_reads_in_the_desks_language(qtbot: Any, alert: Engine, lang: str,
                                               words: tuple[str, ...]) -> None:
    i18n.install(lang)
    dialog, ops = dialog_for(qtbot, alert, "S001")
    row = " ".join(dialog.table.item(0, j).text() for j in range(5))
    assert all(w in row for w in words), row
    assert "audit_log" not in row and "unlinked" not in row  # no raw codes
    ops.shutdown()


def test_a_manager_acknowledges_it_and_cannot_put_anything_back(qtbot: Any,
                                                                 alert: Engine) -> None:
    dialog, ops = dialog_for(qtbot, alert, "S001")
    assert dialog.keep.isEnabled() and not dialog.restore.isEnabled()
    dialog.keep.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=5000)
    with Session(alert) as s:
        settled = s.scalars(select(SyncConflict)).one()
    assert settled.settled_choice == "kept"
    ops.shutdown()
