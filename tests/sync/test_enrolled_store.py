"""A desk enrolled for Beijing syncs as Beijing without being told again: through the
service the enrolment decides the store, not the configured default (SH01)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sync.helpers import new_member
from tests.sync.service import ServiceThread
from vipdesk.central.enrol import issue_code
from vipdesk.cli.main import main
from vipdesk.config import Config
from vipdesk.db import open_desk_db
from vipdesk.sync.runner import SyncRunner


def test_an_enrolled_desk_syncs_as_its_store(service: ServiceThread, fresh_pg_url: str,
                                             tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    desk = tmp_path / "bj.db"
    engine = open_desk_db(desk)
    new_member(engine, "M1")
    common = ["--db", str(desk), "--central", service.url, "--ca-file", service.tls.ca_file]
    assert main(["enrol", issue_code(service.centre.engine, "BJ01"), *common]) == 0
    capsys.readouterr()
    assert main(["sync", "--once", "--json", *common]) == 0  # no --store given
    assert json.loads(capsys.readouterr().out)["store"] == "BJ01"
    runner = SyncRunner(engine, Config(db=desk, central_url=service.url,
                                       central_ca_file=service.tls.ca_file))
    assert runner.store == "BJ01"  # the window's background sync too
    engine.dispose()
