"""The central service for tests: a real uvicorn over TLS (a throw-away CA from trustme)
in a thread on a free port, and a centre object that lets the existing tests sync
through it unchanged; or in processes of their own under a supervisor, for tests that
kill the service with SIGKILL."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import random
import signal
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import trustme
import uvicorn
from sqlalchemy import event

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


# -- the service in processes of its own, to be killed with SIGKILL ----------------------

FORK = multiprocessing.get_context("fork")
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Dying:
    """Where an instance kills itself (SIGKILL) while it serves pushes: at a statement
    inside the push's database transaction, or after the centre committed the push and
    before the desk got its answer (the window where a retry could double things). Each
    death leaves a file `<where>-<pid>` in `marks`, so a test can tell the windows were
    hit. Instances take turns: one dies inside a transaction, the next after a commit,
    so a test sees both. After `deaths` deaths (kills from outside count too) the
    supervisor starts instances that no longer die."""

    marks: Path
    deaths: int
    mid_push: float = 0.05  # chance per statement of a push transaction
    after_commit: float = 0.2  # chance per push


class ServiceProcess:
    """The central service as production runs it, in processes a test can kill -9: a
    supervisor process (systemd, say) holds the listening socket and starts uvicorn in a
    child, again whenever that child dies. A desk's connection made while no instance
    runs waits in the socket's queue for the next one, as behind a load balancer.
    Processes are forked from the already imported test run, so a restart takes
    milliseconds; each opens its own database pool."""

    def __init__(self, db_url: str, tls: Tls, dying: Dying | None = None) -> None:
        self.db_url = db_url
        self.tls = tls
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        self.deaths = FORK.Value("i", 0)
        self.instance = FORK.Value("i", 0)
        self.stopping = FORK.Value("b", 0)
        self.supervisor = FORK.Process(target=_supervise, name="central-supervisor",
                                       args=(self, dying, os.getpid()))

    def start(self) -> ServiceProcess:
        self.supervisor.start()
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Returns once an instance answers: the request waits in the socket's queue
        until one accepts it, so this needs no polling."""
        with httpx.Client(base_url=self.url, timeout=timeout,
                          verify=ssl.create_default_context(cafile=self.tls.ca_file)) as c:
            c.get("/healthz").raise_for_status()

    def kill_instance(self) -> None:
        """SIGKILL the instance serving now (the supervisor starts another)."""
        pid = self.instance.value
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def enrol(self, store: str, name: str = "test desk") -> str:
        """A desk's bearer token for `store`, enrolled over HTTPS as a real desk is."""
        from vipdesk.sync.central import CentreSettings, connect

        admin = connect(CentreSettings(self.db_url))
        try:
            code = issue_code(admin.engine, store)
        finally:
            admin.dispose()
        client = RemoteCentre(self.url, None, self.tls.ca_file)
        try:
            answer = client.enrol(code, name)
        finally:
            client.dispose()
        return f"vdk1.{answer['device_id']}.{answer['secret']}"

    def client(self, token: str) -> RemoteCentre:
        return RemoteCentre(self.url, token, self.tls.ca_file)

    def stop(self) -> None:
        self.stopping.value = 1
        deadline = time.monotonic() + 30
        while self.supervisor.is_alive() and time.monotonic() < deadline:
            self.kill_instance()  # again if one was starting as the first was killed
            self.supervisor.join(1)
        if self.supervisor.is_alive():
            self.supervisor.kill()  # its instance dies with it (_die_with_parent)
            self.supervisor.join(10)
        self.instance.value = 0  # a late kill_instance must not hit a reused pid
        self.sock.close()


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies, so an instance never
    outlives a test run that was itself killed."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _supervise(service: ServiceProcess, dying: Dying | None, test_run: int) -> None:
    _die_with_parent()
    while not service.stopping.value and os.getppid() == test_run:
        pid = os.fork()
        if pid == 0:
            _die_with_parent()
            deaths = service.deaths.value
            dies = dying is not None and deaths < dying.deaths
            _serve_until_killed(service, dying if dies else None, deaths % 2 == 0)
        service.instance.value = pid
        os.waitpid(pid, 0)
        service.instance.value = 0
        if not service.stopping.value:
            service.deaths.value += 1


def _serve_until_killed(service: ServiceProcess, dying: Dying | None,
                        inside: bool) -> None:
    from vipdesk.sync.central import CentreSettings, connect

    try:
        centre = connect(CentreSettings(service.db_url, pool_size=4))
        if dying is not None:
            _die_in_pushes(centre, dying, inside)
        config = uvicorn.Config(create_app(centre), log_level="warning",
                                ssl_certfile=service.tls.cert_file,
                                ssl_keyfile=service.tls.key_file, lifespan="off")
        uvicorn.Server(config).run(sockets=[service.sock])
    finally:
        os._exit(0)  # never run the test run's exit handlers in this copy of it


def _die_in_pushes(centre: Centre, dying: Dying, inside: bool) -> None:
    """This instance dies inside a push's transaction (`inside`) or after a commit."""
    rng = random.Random(os.getpid())
    pushing = threading.local()
    push = centre.push

    def die(where: str) -> None:
        (dying.marks / f"{where}-{os.getpid()}").touch()
        os.kill(os.getpid(), signal.SIGKILL)

    def statement(*_args: Any) -> None:
        if inside and getattr(pushing, "on", False) and rng.random() < dying.mid_push:
            die("mid-push")

    def push_then_maybe_die(store: str, ops: list[Op], enrolled: Any = None,
                            record: Any = None) -> PushResult:
        pushing.on = True
        try:
            result = push(store, ops, enrolled, record)
        finally:
            pushing.on = False
        if not inside and rng.random() < dying.after_commit:
            die("committed")
        return result

    event.listen(centre.engine, "before_cursor_execute", statement)
    centre.push = push_then_maybe_die  # type: ignore[method-assign]
