"""The central service for tests: a real uvicorn over TLS (a throw-away CA from trustme)
in a thread on a free port, and a centre object that lets the existing tests sync
through it unchanged."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import trustme
import uvicorn

from vipdesk.central.app import create_app
from vipdesk.central.enrol import issue_code
from vipdesk.central.metrics import Metrics
from vipdesk.outbox.ops import Change, Op, PushResult
from vipdesk.sync.central import Centre
from vipdesk.sync.remote import RemoteCentre


@dataclass(frozen=True)
class Tls:
    ca_file: str
    cert_file: str
    key_file: str


def make_tls(folder: Path, *, expired: bool = False) -> Tls:
    ca = trustme.CA()
    if expired:
        from datetime import datetime, timedelta

        past = datetime.now() - timedelta(days=10)
        cert = ca.issue_cert("127.0.0.1", "localhost", not_before=past - timedelta(days=30),
                             not_after=past)
    else:
        cert = ca.issue_cert("127.0.0.1", "localhost")
    tls = Tls(str(folder / "ca.pem"), str(folder / "cert.pem"), str(folder / "key.pem"))
    ca.cert_pem.write_to_path(tls.ca_file)
    cert.cert_chain_pems[0].write_to_path(tls.cert_file)
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(tls.cert_file, append=True)
    cert.private_key_pem.write_to_path(tls.key_file)
    return tls


class ServiceThread:
    """uvicorn serving the app for `centre` on 127.0.0.1:<free port>, HTTPS."""

    def __init__(self, centre: Centre, tls: Tls) -> None:
        self.centre = centre
        self.tls = tls
        self.metrics = Metrics()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(centre, self.metrics), log_level="warning",
                                ssl_certfile=tls.cert_file, ssl_keyfile=tls.key_file,
                                lifespan="off", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True, name="central-service")
        self._sock = sock

    def start(self) -> ServiceThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the central service did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self._sock.close()

    def enrol(self, store: str, name: str = "test desk") -> RemoteCentre:
        """A desk of `store` enrolled the way a real one is: code at the centre, redeemed
        over HTTPS; returns the desk's client."""
        code = issue_code(self.centre.engine, store)
        anonymous = RemoteCentre(self.url, None, self.tls.ca_file)
        try:
            answer = anonymous.enrol(code, name)
        finally:
            anonymous.dispose()
        token = f"vdk1.{answer['device_id']}.{answer['secret']}"
        return RemoteCentre(self.url, token, self.tls.ca_file)


@dataclass
class ServiceCentre:
    """Syncs each store's desk through its own enrolled client of the service, so tests
    written as `sync_once(desk, centre, store)` run unchanged. A pull goes through the
    client of the store that pushed last (any enrolled desk reads the same log).
    `engine` is the centre's database, for the tests' oracles."""

    service: ServiceThread
    clients: dict[str, RemoteCentre] = field(default_factory=dict)
    last: str = ""

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        return self.service.centre.engine

    @property
    def label(self) -> str:
        return self.service.url

    def client(self, store: str) -> RemoteCentre:
        if store not in self.clients:
            self.clients[store] = self.service.enrol(store)
        self.last = store
        return self.clients[store]

    def push(self, store: str, ops: list[Op]) -> PushResult:
        return self.client(store).push(store, ops)

    def changes(self, cursor: tuple[int, int], limit: int) -> tuple[list[Change], int]:
        return self.client(self.last or "SH01").changes(cursor, limit)

    def server_time_ms(self) -> int:
        return self.client(self.last or "SH01").server_time_ms()

    def snapshot(self):  # type: ignore[no-untyped-def]
        return self.client(self.last or "SH01").snapshot()

    def dispose(self) -> None:
        for client in self.clients.values():
            client.dispose()
        self.clients.clear()
