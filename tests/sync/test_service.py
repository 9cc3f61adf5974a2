"""The central service over real HTTPS (uvicorn in a thread, a trustme CA): enrolment,
refusals (unknown, revoked, other store, code used twice, bad certificates), the
command line, health, metrics and the push log."""

from __future__ import annotations

import gzip
import json
import ssl
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from tests.sync.helpers import (
    count,
    digest,
    log_visit,
    new_member,
    outbox_size,
    wait_for_watermark,
)
from tests.sync.service import ServiceCentre, ServiceThread, make_tls
from vipdesk.central.enrol import issue_code, revoke
from vipdesk.cli.main import main
from vipdesk.db import open_desk_db
from vipdesk.models import Member, Visit
from vipdesk.models.sync import CentralDevice, CentralPushLog
from vipdesk.sync.central import CentreRefused, CentreUnavailable, credential_path
from vipdesk.sync.engine import sync_once
from vipdesk.sync.remote import RemoteCentre


def test_desks_enrolled_per_store_exchange_records_and_each_push_names_its_device(
        service_centre: ServiceCentre, make_desk) -> None:
    a, b = make_desk("a", seed_tiers=True), make_desk("b")
    member_id = new_member(a, "M1")
    log_visit(a, member_id)
    assert sync_once(a, service_centre, "SH01").pending == 0
    wait_for_watermark(service_centre)  # other programs' open transactions hold pulls back
    sync_once(b, service_centre, "BJ01")
    assert count(b, Visit) == 1 and digest(a) == digest(b) == digest(service_centre.engine)
    with service_centre.engine.connect() as conn:
        pushes = conn.execute(select(CentralPushLog.store, CentralPushLog.device_id,
                                     CentralPushLog.ops)).all()
        devices = dict(conn.execute(select(CentralDevice.id, CentralDevice.store)).all())
    assert pushes and all(devices[device] == store == "SH01" for store, device, _ in pushes)


def test_a_push_is_applied_only_with_its_push_log(pg_centre, make_desk) -> None:  # type: ignore[no-untyped-def]
    """The log of who pushed is written in the push's own transaction: if it cannot be
    written, nothing of the push is applied (and the desk keeps its outbox)."""
    desk = make_desk("a")
    new_member(desk, "M1")
    ops = [op for _, op in read_batch_of(desk)]

    def broken_log(conn, result):  # type: ignore[no-untyped-def]
        raise RuntimeError("push log unavailable")

    with pytest.raises(RuntimeError, match="push log unavailable"):
        pg_centre.push("SH01", ops, None, broken_log)
    with pg_centre.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Member)).scalar() == 0
    written = []
    pg_centre.push("SH01", ops, None, lambda conn, result: written.append(result.counts))
    assert written == [{"applied": len(ops)}]


def read_batch_of(desk):  # type: ignore[no-untyped-def]
    from vipdesk.sync.push import read_batch

    with desk.connect() as conn:
        return read_batch(conn, 1000)


def test_an_unknown_desk_is_refused_and_keeps_its_outbox(service: ServiceThread,
                                                          fresh_pg_url: str, make_desk) -> None:
    desk = make_desk("a")
    new_member(desk, "M1")
    before = outbox_size(desk)
    stranger = RemoteCentre(service.url, f"vdk1.{uuid.uuid4()}.guessed", service.tls.ca_file)
    with pytest.raises(CentreRefused, match="unknown desk credential"):
        sync_once(desk, stranger, "SH01")
    anonymous = RemoteCentre(service.url, None, service.tls.ca_file)
    with pytest.raises(CentreRefused, match="no desk credential"):
        anonymous.changes((0, 0), 10)
    assert outbox_size(desk) == before


def test_a_revoked_desk_is_refused_and_keeps_its_outbox(service: ServiceThread,
                                                         fresh_pg_url: str, make_desk) -> None:
    desk = make_desk("a")
    client = service.enrol("SH01")
    new_member(desk, "M1")
    sync_once(desk, client, "SH01")
    device = _device_of(client)
    assert revoke(service.centre.engine, device)
    log_visit(desk, _any_member(desk))
    with pytest.raises(CentreRefused, match="revoked"):
        sync_once(desk, client, "SH01")
    assert outbox_size(desk) == 1


def test_a_desk_cannot_push_as_another_store(service: ServiceThread, fresh_pg_url: str,
                                             make_desk) -> None:
    desk = make_desk("a")
    client = service.enrol("SH01")
    new_member(desk, "M1")
    with pytest.raises(CentreRefused, match="enrolled for store SH01, not BJ01"):
        sync_once(desk, client, "BJ01")
    assert outbox_size(desk) > 0
    with service.centre.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(CentralPushLog)) == 0


def test_an_enrolment_code_works_once(service: ServiceThread, fresh_pg_url: str) -> None:
    code = issue_code(service.centre.engine, "SH01")
    anonymous = RemoteCentre(service.url, None, service.tls.ca_file)
    first = anonymous.enrol(code.lower(), "desk 1")  # typed in lower case: still the code
    assert first["store"] == "SH01"
    with pytest.raises(CentreRefused, match="unknown, expired or already used"):
        anonymous.enrol(code, "desk 2")
    with service.centre.engine.connect() as conn:
        stored = conn.scalar(select(CentralDevice.secret_hash))
    assert stored and first["secret"] not in stored  # only a hash at the centre


def test_an_expired_enrolment_code_is_refused(service: ServiceThread, fresh_pg_url: str) -> None:
    from datetime import timedelta

    code = issue_code(service.centre.engine, "SH01", ttl=timedelta(seconds=-1))
    with pytest.raises(CentreRefused, match="expired"):
        RemoteCentre(service.url, None, service.tls.ca_file).enrol(code, "late")


def test_an_expired_certificate_is_refused(service: ServiceThread, tmp_path: Path) -> None:
    expired = ServiceThread(service.centre, make_tls(tmp_path, expired=True)).start()
    try:
        client = RemoteCentre(expired.url, None, expired.tls.ca_file)
        with pytest.raises(CentreUnavailable, match=r"certificate was refused.*expired"):
            client.server_time_ms()
    finally:
        expired.stop()


def test_a_certificate_from_an_unknown_ca_is_refused(service: ServiceThread,
                                                     tmp_path: Path) -> None:
    other_ca = make_tls(tmp_path)  # a different CA than the one that signed the service
    client = RemoteCentre(service.url, None, other_ca.ca_file)
    with pytest.raises(CentreUnavailable, match="certificate was refused"):
        client.server_time_ms()
    with pytest.raises(CentreUnavailable, match="certificate was refused"):
        RemoteCentre(service.url, None).server_time_ms()  # the system's CAs: not trusted


def test_gzip_requests_and_responses_health_and_metrics(service_centre: ServiceCentre,
                                                        make_desk) -> None:
    desk = make_desk("a")
    for i in range(30):
        new_member(desk, f"M{i}", phone=f"1380013{i:04d}")
    sync_once(desk, service_centre, "SH01")
    wait_for_watermark(service_centre)
    client = service_centre.clients["SH01"].client
    answer = client.get("/v1/changes", params={"txid": 0, "seq": 0, "limit": 50})
    assert answer.headers.get("content-encoding") == "gzip"
    assert json.loads(answer.text.splitlines()[0])["count"] == 50
    bad = client.post("/v1/push", content=gzip.compress(b"{not json"),
                      headers={"Content-Encoding": "gzip"})
    assert bad.status_code == 400 and "not JSON" in bad.json()["error"]
    with httpx.Client(base_url=service_centre.service.url,
                      verify=ssl.create_default_context(
                          cafile=service_centre.service.tls.ca_file)) as plain:
        assert plain.get("/healthz").json() == {"status": "ok"}
        assert plain.get("/readyz").status_code == 200
        metrics = plain.get("/metrics").text
    assert 'vipdesk_central_ops_total{outcome="applied",store="SH01"}' in metrics
    assert 'vipdesk_central_requests_total{endpoint="/v1/push",status="200"}' in metrics
    assert 'vipdesk_central_errors_total{endpoint="/v1/push",kind="bad_request"} 1' in metrics
    assert 'vipdesk_central_pull_lag_seconds{store="SH01"}' in metrics


def test_readyz_says_when_the_database_is_unreachable(service_tls) -> None:
    from vipdesk.sync.central import CentreSettings, connect

    dead = connect(CentreSettings("postgresql+psycopg://x:pw@127.0.0.1:1/none"))
    running = ServiceThread(dead, service_tls).start()
    try:
        with httpx.Client(base_url=running.url, verify=ssl.create_default_context(
                          cafile=service_tls.ca_file)) as plain:
            answer = plain.get("/readyz")
        assert answer.status_code == 503 and "pw" not in answer.text
    finally:
        running.stop()
        dead.dispose()


def test_enrol_and_sync_from_the_command_line(service: ServiceThread, fresh_pg_url: str,
                                              tmp_path: Path, capsys) -> None:
    desk = tmp_path / "desk.db"
    new_member(open_desk_db(desk), "M1")
    code = issue_code(service.centre.engine, "SH01")
    common = ["--db", str(desk), "--central", service.url, "--ca-file", service.tls.ca_file]
    assert main(["enrol", code, *common]) == 0
    assert "store SH01" in capsys.readouterr().out
    path = credential_path(desk)
    assert path.stat().st_mode & 0o777 == 0o600
    assert main(["sync", "--once", "--json", *common]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["store"] == "SH01" and report["outcomes"].get("applied")
    device = uuid.UUID(json.loads(path.read_text())["device_id"])
    revoke(service.centre.engine, device)
    assert main(["sync", "--once", *common]) == 3
    err = capsys.readouterr().err
    assert "revoked" in err and len(err.strip().splitlines()) == 1
    assert main(["enrol", code, *common]) == 3  # the code was used
    assert "already used" in capsys.readouterr().err


def test_central_admin_commands(service: ServiceThread, fresh_pg_url: str, capsys) -> None:
    from vipdesk.central.cli import main as central

    assert central(["enrol", "--store", "SH01", "--db-url", fresh_pg_url]) == 0
    code = capsys.readouterr().out.strip()
    device = RemoteCentre(service.url, None, service.tls.ca_file).enrol(code, "d")
    assert central(["devices", "--json", "--db-url", fresh_pg_url]) == 0
    assert orjson.loads(capsys.readouterr().out)[0]["store"] == "SH01"
    assert central(["revoke", device["device_id"], "--db-url", fresh_pg_url]) == 0
    assert central(["revoke", device["device_id"], "--db-url", fresh_pg_url]) == 1
    assert central(["devices", "--db-url", "postgresql+psycopg://x:pw@127.0.0.1:1/n"]) == 3
    assert "pw" not in capsys.readouterr().err


def _device_of(client: RemoteCentre) -> uuid.UUID:
    token = client.client.headers["authorization"].split(" ")[1]
    return uuid.UUID(token.split(".")[1])


def _any_member(desk) -> uuid.UUID:  # type: ignore[no-untyped-def]
    from vipdesk.models import Member

    with desk.connect() as conn:
        return conn.scalar(select(Member.id).limit(1))


def test_the_runner_shows_a_refusal_in_one_line_and_keeps_the_outbox(
        service: ServiceThread, fresh_pg_url: str, make_desk) -> None:
    import asyncio

    from vipdesk.config import Config
    from vipdesk.sync.runner import SyncRunner

    desk = make_desk("a")
    client = service.enrol("SH01")
    new_member(desk, "M1")
    revoke(service.centre.engine, _device_of(client))
    queued = outbox_size(desk)
    runner = SyncRunner(desk, Config(store="SH01", central_url=service.url),
                        centre_factory=lambda: client)
    status = asyncio.run(runner.run_once())
    assert status.online is False and status.pending == queued == outbox_size(desk)
    assert "refused this desk" in status.describe() and "revoked" in status.describe()
    assert "\n" not in status.describe()


def test_a_desk_that_is_not_enrolled_is_told_how(service: ServiceThread, tmp_path: Path,
                                                 capsys) -> None:
    desk = tmp_path / "desk.db"
    open_desk_db(desk).dispose()
    assert main(["sync", "--once", "--db", str(desk), "--central", service.url]) == 2
    assert "not enrolled" in capsys.readouterr().err
    credential_path(desk).write_text("{}")
    credential_path(desk).chmod(0o644)
    assert main(["sync", "--once", "--db", str(desk), "--store", "SH01",
                 "--central", service.url]) == 2
    assert "readable by other users" in capsys.readouterr().err


def test_a_body_made_ahead_is_sent_only_for_its_store(make_desk) -> None:  # type: ignore[no-untyped-def]
    """`push_all` has the next request body made on its desk-side thread; a body made
    for another store is never sent as it is."""
    from vipdesk.outbox.ops import Outcome

    desk = make_desk("a")
    new_member(desk, "M1")
    ops = [op for _, op in read_batch_of(desk)]
    sent: list[dict] = []  # type: ignore[type-arg]

    def answer(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(gzip.decompress(request.content))
        sent.append(body)
        acks = [[op["op_id"], "applied", ""] for op in body["ops"]]
        return httpx.Response(200, json={"acks": acks, "server_time_ms": 0, "counts": {}})

    centre = RemoteCentre("https://centre.test", "token")
    centre.client = httpx.Client(base_url="https://centre.test",
                                 transport=httpx.MockTransport(answer))
    try:
        ahead = centre.encoded("SH01", ops)
        assert list(ahead) == ops
        result = centre.push("SH01", ahead)
        assert [a.outcome for a in result.acks] == [Outcome.APPLIED] * len(ops)
        centre.push("SH02", ahead)  # made for SH01: encoded again for SH02
    finally:
        centre.dispose()
    assert [b["store"] for b in sent] == ["SH01", "SH02"]
    assert [op["op_id"] for op in sent[0]["ops"]] == [str(op.op_id) for op in ops]
