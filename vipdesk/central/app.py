"""The ASGI app: push, pull, time, enrolment, health and metrics.

Stateless: every fact lives in PostgreSQL, so any number of instances can serve behind
a load balancer. The blocking database work (the merge, the pull's one statement) runs
on Starlette's thread pool, one pooled connection at a time.

Endpoints (JSON; gzip both ways):
  POST /v1/push      {"store", "ops": [...]} → {"acks", "server_time_ms", "counts"}
  GET  /v1/changes   ?txid&seq&limit → JSON lines: {"server_time_ms", "count"}, then
                     one change a line (streamed)
  GET  /v1/snapshot  → JSON lines: {"cursor", "hlc"}, then every synced row as an
                     insert change (for a desk behind the horizon: 410 from /changes)
  GET  /v1/desk-file → the ready-made desk file's manifest (404: none offered)
  GET  /v1/desk-file/{name} → that file (gzip), for a new desk to start from
  GET  /v1/time      → {"server_time_ms"}
  POST /v1/enrol     {"code", "name"} → {"device_id", "secret", "store"} (no credential)
  GET  /healthz, /readyz (the database answers), /metrics (Prometheus text)
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import exc as sa_exc
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from vipdesk.central import auth, enrol
from vipdesk.central.auth import Device, Refused
from vipdesk.central.metrics import Metrics
from vipdesk.outbox.ops import PushResult
from vipdesk.sync import desk_file_build, snapshot
from vipdesk.sync.authority import Enrolled
from vipdesk.sync.central import Centre, CentreUnavailable
from vipdesk.sync.desk_file import Manifest
from vipdesk.sync.snapshot import BehindHorizon
from vipdesk.sync.wire import WireError, change_row_to_wire, op_from_wire, result_to_wire

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024  # a 500-op batch of member photos stays far below
MAX_OPS = 5000
MAX_PULL = 10_000
STREAM_CHUNK = 500  # change-log lines per streamed piece
# Starlette's default is 9: on a page of change-log JSON it took twice the CPU of
# level 5 (26 against 12 ms for 2,000 changes) for 4 % fewer bytes.
RESPONSE_GZIP_LEVEL = 5

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Service:
    centre: Centre
    metrics: Metrics
    desk_files: Path | None = None  # built by `vipdesk-central desk-file`; shared storage

    async def push(self, request: Request) -> Response:
        device = await self._device(request)
        body = await read_json(request)
        claimed = body.get("store") if isinstance(body, dict) else None
        if claimed and claimed != device.store:
            raise Refused(403, f"this desk is enrolled for store {device.store}, "
                               f"not {claimed}")
        # Decoding 500 payloads is CPU work: off the event loop with the merge, so
        # other desks' requests are read and answered meanwhile.
        result = await run_in_threadpool(self._push, device, body)
        self.metrics.decided(device.store, result.counts)
        return json_response(result_to_wire(result))

    def _push(self, device: Device, body: Any) -> PushResult:
        ops = _ops(body)
        return self.centre.push(
            device.store, ops, Enrolled(device.store, str(device.id)),
            lambda conn, done: enrol.record_push(conn, device, len(ops), done))

    async def changes(self, request: Request) -> Response:
        device = await self._device(request)
        try:
            cursor = (int(request.query_params["txid"]), int(request.query_params["seq"]))
            limit = max(1, min(MAX_PULL, int(request.query_params.get("limit", 2000))))
        except (KeyError, ValueError):
            raise WireError("txid, seq (integers) and limit are needed") from None
        rows, now = await run_in_threadpool(self.centre.change_rows, cursor, limit)
        self.metrics.pulled(device.store, at_head=len(rows) < limit)
        return StreamingResponse(_lines({"server_time_ms": now, "count": len(rows)}, rows),
                                 media_type="application/x-ndjson")

    async def snapshot(self, request: Request) -> Response:
        """For a desk behind the horizon: every synced row under one snapshot, streamed
        while the centre copies (the first line holds the cursor to continue from)."""
        await self._device(request)
        rows = self.centre.snapshot_rows()
        head = await run_in_threadpool(next, rows)  # opens the snapshot: errors → 503
        first = {"cursor": list(head.cursor), "hlc": head.hlc}
        return StreamingResponse(_snapshot_lines(first, rows),
                                 media_type="application/x-ndjson")

    async def desk_file(self, request: Request) -> Response:
        """The ready-made file a new desk starts from, if one is built and the change
        log still reaches back to its cursor."""
        await self._device(request)
        manifest = await run_in_threadpool(self._offered_desk_file)
        if manifest is None:
            return json_response({"error": "no desk file is offered"}, 404)
        return json_response(manifest.to_json())

    async def desk_file_data(self, request: Request) -> Response:
        await self._device(request)
        path = desk_file_build.published_file(self.desk_files, request.path_params["name"])
        if path is None:
            return json_response({"error": "no such desk file"}, 404)
        return FileResponse(path, media_type="application/gzip")

    def _offered_desk_file(self) -> Manifest | None:
        manifest = desk_file_build.current(self.desk_files) if self.desk_files else None
        if manifest is None:
            return None
        with self.centre.engine.connect() as conn:
            edge = snapshot.horizon(conn)
        return None if edge is not None and manifest.cursor < edge else manifest

    async def time(self, request: Request) -> Response:
        await self._device(request)
        return json_response({"server_time_ms": await run_in_threadpool(
            self.centre.server_time_ms)})

    async def enrol(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("code"), str):
            raise WireError("an enrolment code is needed")
        device, secret = await run_in_threadpool(
            enrol.redeem, self.centre.engine, body["code"], str(body.get("name", "")))
        log.info("device %s enrolled for store %s", device.id, device.store)
        return json_response({"device_id": str(device.id), "secret": secret,
                              "store": device.store})

    async def healthz(self, _request: Request) -> Response:
        return json_response({"status": "ok"})

    async def readyz(self, _request: Request) -> Response:
        await run_in_threadpool(self.centre.server_time_ms)  # unreachable → 503 below
        return json_response({"status": "ready"})

    async def metrics_text(self, _request: Request) -> Response:
        return PlainTextResponse(self.metrics.render(),
                                 media_type="text/plain; version=0.0.4")

    async def _device(self, request: Request) -> Device:
        return await run_in_threadpool(auth.authenticate, self.centre.engine,
                                       request.headers.get("authorization"))

    def route(self, path: str, handler: Handler, method: str) -> Route:
        return Route(path, self._guard(path, handler), methods=[method])

    def _guard(self, path: str, handler: Handler) -> Handler:
        """One place that turns failures into worded answers and counts them."""

        async def endpoint(request: Request) -> Response:
            try:
                response = await handler(request)
            except Refused as error:
                response = self._failed(path, "refused", error.status, error.message)
            except BehindHorizon as error:
                response = json_response({"error": str(error),
                                          "horizon": list(error.horizon)}, 410)
            except WireError as error:
                response = self._failed(path, "bad_request", 400, str(error))
            except (CentreUnavailable, sa_exc.OperationalError) as error:
                # The details (the database's address among them) stay in the log.
                log.warning("request to %s: %s", path, str(error).splitlines()[0])
                response = self._failed(path, "database", 503, "the central database is "
                                        "unavailable; the desk will try again")
            except sa_exc.TimeoutError:  # every pooled connection busy for pool_timeout
                response = self._failed(path, "busy", 503, "the central service is busy; "
                                        "the desk will try again")
            except Exception:
                log.exception("request to %s failed", path)
                response = self._failed(path, "internal", 500, "internal error (logged)")
            self.metrics.request(path, response.status_code)
            return response

        return endpoint

    def _failed(self, path: str, kind: str, status: int, message: str) -> Response:
        self.metrics.error(path, kind)
        return json_response({"error": message}, status)


def create_app(centre: Centre, metrics: Metrics | None = None,
               desk_files: Path | None = None) -> Starlette:
    service = Service(centre, metrics or Metrics(), desk_files)
    routes = [service.route("/v1/push", service.push, "POST"),
              service.route("/v1/changes", service.changes, "GET"),
              service.route("/v1/snapshot", service.snapshot, "GET"),
              service.route("/v1/desk-file", service.desk_file, "GET"),
              service.route("/v1/desk-file/{name}", service.desk_file_data, "GET"),
              service.route("/v1/time", service.time, "GET"),
              service.route("/v1/enrol", service.enrol, "POST"),
              service.route("/healthz", service.healthz, "GET"),
              service.route("/readyz", service.readyz, "GET"),
              service.route("/metrics", service.metrics_text, "GET")]
    app = Starlette(routes=routes, middleware=[Middleware(
        GZipMiddleware, minimum_size=1024, compresslevel=RESPONSE_GZIP_LEVEL)])
    app.state.service = service
    return app


async def read_json(request: Request) -> Any:
    """The body as JSON; gzip-compressed when the desk says so, never beyond MAX_BODY."""
    raw = await _body(request)
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            raw = _gunzip(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise WireError(f"the gzip body cannot be read: {error}") from error
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise WireError(f"the body is not JSON: {error}") from error


async def _body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, "request too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip(raw: bytes) -> bytes:
    # Bounded: a small compressed body must not expand into gigabytes.
    out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, MAX_BODY + 1)
    if len(out) > MAX_BODY:
        raise Refused(413, "request too large")
    return out


def _ops(body: Any) -> list[Any]:
    items = body.get("ops") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise WireError("a push needs a list of ops")
    if len(items) > MAX_OPS:
        raise Refused(413, f"at most {MAX_OPS} ops per push")
    return [op_from_wire(item) for item in items]


def _lines(head: dict[str, Any], rows: list[Any]) -> Iterator[bytes]:
    yield orjson.dumps(head) + b"\n"
    for start in range(0, len(rows), STREAM_CHUNK):
        yield b"".join(orjson.dumps(change_row_to_wire(r)) + b"\n"
                       for r in rows[start:start + STREAM_CHUNK])


def _snapshot_lines(head: dict[str, Any], rows: Iterator[Any]) -> Iterator[bytes]:
    yield orjson.dumps(head) + b"\n"
    chunk: list[bytes] = []
    for row in rows:
        chunk.append(orjson.dumps(change_row_to_wire(row)) + b"\n")
        if len(chunk) >= STREAM_CHUNK:
            yield b"".join(chunk)
            chunk = []
    yield b"".join(chunk)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")
