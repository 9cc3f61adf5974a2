"""The central service as a desk sees it over HTTPS: the same calls as `Centre`.

`sync_once`, `push_all`, `pull_all` and `SyncRunner` take either. Blocking (httpx's
sync client): sync runs on its own thread. The desk holds no SQL credentials, only its
enrolment (`vipdesk.sync.credential`); the service decides which store it pushes as.

Network failures become `CentreUnavailable` (the runner backs off and retries); a
refusal (HTTP 401/403: unknown or revoked desk, another store's) becomes
`CentreRefused` with the service's one-line reason. Either way the outbox is kept.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import ssl
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from vipdesk.outbox.ops import Change, Op, PushResult
from vipdesk.sync import credential as credentials
from vipdesk.sync.central import CentreRefused, CentreSettings, CentreUnavailable
from vipdesk.sync.desk_file import DeskFileUnusable, Manifest
from vipdesk.sync.snapshot import BehindHorizon, SnapshotHead
from vipdesk.sync.wire import (
    WireError,
    change_from_wire,
    op_to_wire,
    result_from_wire,
)

TIMEOUT = httpx.Timeout(30.0, connect=5.0)  # a 500-op push is well under a second
API = "/v1"


def tls_verify(ca_file: str) -> ssl.SSLContext | bool:
    """Certificate verification is always on: the system's CAs, or the given CA file."""
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return True


class RemoteCentre:
    def __init__(self, url: str, token: str | None, ca_file: str = "",
                 timeout: httpx.Timeout = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        headers = {"Accept-Encoding": "gzip", "User-Agent": "vipdesk-desk"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(base_url=self.url, verify=tls_verify(ca_file),
                                   timeout=timeout, headers=headers)

    @staticmethod
    def from_settings(settings: CentreSettings) -> RemoteCentre:
        cred = credentials.load(Path(settings.credential_file))
        if cred.central_url.rstrip("/") != settings.url.rstrip("/"):
            raise credentials.CredentialError(
                f"this desk is enrolled with {cred.central_url}, not {settings.url}")
        return RemoteCentre(settings.url, cred.token, settings.ca_file)

    @property
    def label(self) -> str:
        return self.url

    def push(self, store: str, ops: list[Op]) -> PushResult:
        """The service pushes as this desk's enrolled store; `store` is what the desk
        believes it is, and a mismatch is refused rather than silently rewritten."""
        if not (isinstance(ops, EncodedOps) and ops.store == store):
            ops = self.encoded(store, ops)
        answer = self._call("POST", f"{API}/push", content=ops.body,
                            headers={"Content-Encoding": "gzip",
                                     "Content-Type": "application/json"})
        return _decoded(lambda: result_from_wire(orjson.loads(answer.content)))

    @staticmethod
    def encoded(store: str, ops: list[Op]) -> EncodedOps:
        """The ops with their request body made (`push_all` calls this on its desk-side
        thread, so the next body is compressed while the service decides this one)."""
        body = {"store": store, "ops": [op_to_wire(op) for op in ops]}
        return EncodedOps(ops, store, gzip.compress(orjson.dumps(body), compresslevel=5))

    def changes(self, cursor: tuple[int, int], limit: int) -> tuple[list[Change], int]:
        """One page of the change log as JSON lines: the header, then one change a line."""
        params = {"txid": cursor[0], "seq": cursor[1], "limit": limit}
        answer = self._call("GET", f"{API}/changes", params=params)

        def parse() -> tuple[list[Change], int]:
            lines = answer.content.splitlines()
            head = orjson.loads(lines[0])
            return [change_from_wire(orjson.loads(x)) for x in lines[1:] if x], \
                int(head["server_time_ms"])

        return _decoded(parse)

    def server_time_ms(self) -> int:
        answer = self._call("GET", f"{API}/time")
        return _decoded(lambda: int(orjson.loads(answer.content)["server_time_ms"]))

    def snapshot(self) -> tuple[SnapshotHead, Iterator[Change]]:
        """Streamed: the desk applies pages while the centre is still copying."""
        try:
            answer = self.client.send(self.client.build_request("GET", f"{API}/snapshot"),
                                      stream=True)
        except httpx.TransportError as error:
            raise CentreUnavailable(_network_message(error)) from error
        if answer.status_code >= 400:
            answer.read()
            answer.close()
            _check(answer)
        lines = answer.iter_lines()
        try:
            top = orjson.loads(next(lines))
            head = SnapshotHead((int(top["cursor"][0]), int(top["cursor"][1])), str(top["hlc"]))
        except (StopIteration, ValueError, KeyError, TypeError, httpx.TransportError) as error:
            answer.close()
            raise CentreUnavailable(f"central service sent an unreadable snapshot: {error}") \
                from error
        return head, _stream(answer, lines)

    def fetch_desk_file(self, into: Path) -> Manifest | None:
        """The centre's ready-made desk file, uncompressed into `into` while it arrives
        and checked against the manifest's size and hash (`desk_file.py`)."""
        try:
            answer = self.client.get(f"{API}/desk-file")
        except httpx.TransportError as error:
            raise CentreUnavailable(_network_message(error)) from error
        if answer.status_code == 404:
            return None
        _check(answer)
        manifest = Manifest.from_json(_decoded(lambda: orjson.loads(answer.content)))
        # identity: the file is gzip already; the service must not compress it again.
        request = self.client.build_request("GET", f"{API}/desk-file/{manifest.name}",
                                            headers={"Accept-Encoding": "identity"})
        try:
            reply = self.client.send(request, stream=True)
        except httpx.TransportError as error:
            raise CentreUnavailable(_network_message(error)) from error
        try:
            if reply.status_code == 404:  # replaced by a newer build meanwhile
                return None
            if reply.status_code >= 400:
                reply.read()
                _check(reply)
            _unpack(reply, manifest, into)
        except httpx.TransportError as error:
            raise CentreUnavailable(_network_message(error)) from error
        finally:
            reply.close()
        return manifest

    def enrol(self, code: str, name: str) -> dict[str, Any]:
        # Not repeated: a code works once, so a second try could only be refused.
        answer = self._call("POST", f"{API}/enrol", json={"code": code, "name": name},
                            repeat=False)
        return _decoded(lambda: dict(orjson.loads(answer.content)))

    def dispose(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, repeat: bool = True,
              **kwargs: Any) -> httpx.Response:
        """One request; sent once more when the server had closed the kept-alive
        connection it went out on (its keep-alive ran out as the desk reused it). Push
        (op ids), pull (cursor) and time are safe to repeat."""
        try:
            try:
                answer = self.client.request(method, path, **kwargs)
            except httpx.RemoteProtocolError:
                if not repeat:
                    raise
                answer = self.client.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise CentreUnavailable(_network_message(error)) from error
        _check(answer)
        return answer


class EncodedOps(list[Op]):
    """Ops, and the gzip JSON body that pushes them as `store`."""

    def __init__(self, ops: list[Op], store: str, body: bytes) -> None:
        super().__init__(ops)
        self.store, self.body = store, body


def _check(answer: httpx.Response) -> None:
    if answer.status_code in (401, 403):
        raise CentreRefused(f"the central service refused this desk: {_reason(answer)}")
    if answer.status_code == 410:  # the change log below the desk's cursor was trimmed
        edge = _decoded(lambda: orjson.loads(answer.content)["horizon"])
        raise BehindHorizon((int(edge[0]), int(edge[1])))
    if answer.status_code >= 400:
        # A busy, restarting or failing service: keep the outbox, try again later.
        raise CentreUnavailable(
            f"central service error {answer.status_code}: {_reason(answer)}")


def _stream(answer: httpx.Response, lines: Iterator[str]) -> Iterator[Change]:
    try:
        for line in lines:
            if line:
                yield _decoded(lambda line=line: change_from_wire(orjson.loads(line)))
    except httpx.TransportError as error:
        raise CentreUnavailable(_network_message(error)) from error
    finally:
        answer.close()


def _unpack(reply: httpx.Response, manifest: Manifest, into: Path) -> None:
    digest, size = hashlib.sha256(), 0
    unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        with into.open("wb") as out:
            for block in reply.iter_raw(1 << 20):
                digest.update(block)
                size += len(block)
                out.write(unzip.decompress(block))
            out.write(unzip.flush())
    except zlib.error as error:
        raise DeskFileUnusable(f"the desk file arrived damaged: {error}") from error
    if size != manifest.size or digest.hexdigest() != manifest.sha256:
        raise DeskFileUnusable(f"the desk file arrived damaged ({size:,} bytes of "
                               f"{manifest.size:,}, or another content)")


def _decoded(parse: Any) -> Any:
    try:
        return parse()
    except (WireError, ValueError, KeyError, TypeError, IndexError) as error:
        raise CentreUnavailable(f"central service sent an unreadable answer: {error}") \
            from error


def _reason(answer: httpx.Response) -> str:
    try:
        return str(orjson.loads(answer.content)["error"])
    except (ValueError, KeyError, TypeError):
        return answer.reason_phrase or str(answer.status_code)


def _network_message(error: httpx.TransportError) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    found = re.search(r"certificate verify failed: ([^(]+)", text)
    if found:
        reason = found.group(1).strip()
        return f"central service unavailable: its TLS certificate was refused ({reason})"
    return f"central service unavailable: {text}"
