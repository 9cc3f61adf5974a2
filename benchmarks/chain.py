"""A chain of desks against the central service: push and pull latency over HTTPS.

    python -m benchmarks.chain [--desks 10] [--rounds 10] [--batch 50] [--instances 1]
                               [--pace S --pull-every 30] [--server URL]

Starts `vipdesk-central serve` as its own process (TLS with a throw-away CA from
trustme, a fresh database `vipdesk_bench_<random>` on the server, dropped afterwards),
enrols N desks (one store each) and runs them as asyncio tasks, each with its own
HTTPS connection: per round a desk pushes `--batch` new visits, then pulls the change
log from its cursor until it is at the head (pages of 2,000). Prints p50/p99 of push
and pull requests, the throughput, the failed requests (a desk retries a failed push or
pull, as the runner does) and whether anything was lost: every desk must end with every
change and the centre with every visit. With `--instances 2` the desks are spread round
robin over two service processes on the same database (what a load balancer does).
With `--pace S` the desks are paced like lounges instead of saturating the service: a
push every S seconds (± half, out of step), a pull every `--pull-every` seconds.
Each round's ops are built up front (cloned from ORM-written outbox ops with fresh ids),
so the numbers are the service's and the network's, not the desks' SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from benchmarks.common import machine, percentile, table
from benchmarks.sync import SERVER, Bench, _member, _visits
from vipdesk.central.enrol import issue_code
from vipdesk.outbox.ops import Op
from vipdesk.sync.push import read_batch
from vipdesk.sync.wire import op_to_wire

PULL_PAGE = 2000
RETRIES = 20


@dataclass
class Desk:
    store: str
    client: httpx.AsyncClient
    member_op: Op
    visit_ops: list[Op]
    cursor: tuple[int, int] = (0, 0)
    push_ms: list[float] = field(default_factory=list)
    pull_ms: list[float] = field(default_factory=list)
    pulled: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # failed requests by kind


def _template_ops(bench: Bench, n: int) -> tuple[Op, list[Op]]:
    desk = bench.desk("template", "T0")
    _visits(desk, _member(desk), n)
    with desk.connect() as conn:
        ops = [op for _, op in read_batch(conn, n + 10)]
    desk.dispose()
    member = next(op for op in ops if op.table_name == "members")
    return member, [op for op in ops if op.table_name == "visits"]


def _clone(member: Op, visits: list[Op], store: str) -> tuple[Op, list[Op]]:
    """The template's ops with fresh ids: a desk of its own with its own member."""
    member_id = uuid.uuid4()
    row = {**member.payload["row"], "id": str(member_id), "member_no": f"{store}-1"}
    new_member = Op(uuid.uuid4(), "insert", "members", member_id, {"row": row}, member.hlc)
    new_visits = []
    for op in visits:
        visit_id = uuid.uuid4()
        vrow = {**op.payload["row"], "id": str(visit_id), "member_id": str(member_id)}
        new_visits.append(Op(uuid.uuid4(), "insert", "visits", visit_id, {"row": vrow},
                             op.hlc))
    return new_member, new_visits


def _tls(folder: Path) -> tuple[str, str, str]:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    paths = tuple(str(folder / n) for n in ("ca.pem", "cert.pem", "key.pem"))
    ca.cert_pem.write_to_path(paths[0])
    cert.cert_chain_pems[0].write_to_path(paths[1])
    cert.private_key_pem.write_to_path(paths[2])
    return paths[0], paths[1], paths[2]


def _serve(bench: Bench, folder: Path, tls: tuple[str, str, str] | None = None,
           desk_files: Path | None = None) -> tuple[subprocess.Popen[bytes], str, str]:
    ca, cert, key = tls or _tls(folder)
    files = ["--desk-files", str(desk_files)] if desk_files else []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "vipdesk.central.cli", "serve", "--db-url", bench.url,
         "--host", "127.0.0.1", "--port", str(port), "--certfile", cert, "--keyfile", key,
         *files],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"https://127.0.0.1:{port}"
    context = ssl.create_default_context(cafile=ca)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", verify=context).status_code == 200:
                return proc, url, ca
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the service did not start")


async def _enrol(bench: Bench, url: str, ca: str, store: str) -> httpx.AsyncClient:
    code = issue_code(bench.centre.engine, store)
    context = ssl.create_default_context(cafile=ca)
    async with httpx.AsyncClient(base_url=url, verify=context) as anonymous:
        answer = (await anonymous.post("/v1/enrol", json={"code": code, "name": store})).json()
    token = f"vdk1.{answer['device_id']}.{answer['secret']}"
    return httpx.AsyncClient(base_url=url, verify=context, timeout=60,
                             headers={"Authorization": f"Bearer {token}",
                                      "Accept-Encoding": "gzip"})


async def _request(desk: Desk, times: list[float], method: str, path: str,
                   **kwargs: Any) -> httpx.Response:
    """One call, retried after a transport error or a 5xx (counted): ops are idempotent
    and a pull starts from the saved cursor, so a retry is what a desk does."""
    for attempt in range(RETRIES):
        start = time.perf_counter()
        try:
            answer = await desk.client.request(method, path, **kwargs)
        except httpx.TransportError as error:
            desk.errors[type(error).__name__] += 1
        else:
            if answer.status_code < 500:
                times.append((time.perf_counter() - start) * 1000)
                answer.raise_for_status()  # 4xx is a fault of the benchmark: stop
                return answer
            desk.errors[f"{answer.status_code} {_error_text(answer)}"] += 1
        await asyncio.sleep(min(2.0, 0.1 * 2 ** attempt))
    raise RuntimeError(f"{desk.store}: {path} failed {RETRIES} times")


def _error_text(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", ""))[:60]
    except ValueError:
        return ""


async def _push(desk: Desk, ops: list[Op]) -> None:
    body = gzip.compress(orjson.dumps({"store": desk.store,
                                       "ops": [op_to_wire(op) for op in ops]}), 5)
    await _request(desk, desk.push_ms, "POST", "/v1/push", content=body,
                   headers={"Content-Encoding": "gzip"})


async def _pull(desk: Desk) -> None:
    while True:
        answer = await _request(desk, desk.pull_ms, "GET", "/v1/changes", params={
            "txid": desk.cursor[0], "seq": desk.cursor[1], "limit": PULL_PAGE})
        lines = answer.content.splitlines()
        rows = [orjson.loads(x) for x in lines[1:] if x]
        desk.pulled += len(rows)
        if rows:
            desk.cursor = (rows[-1][0], rows[-1][1])
        if len(rows) < PULL_PAGE:
            return


async def _run_desk(desk: Desk, rounds: int, batch: int) -> None:
    await _push(desk, [desk.member_op])
    for r in range(rounds):
        await _push(desk, desk.visit_ops[r * batch:(r + 1) * batch])
        await _pull(desk)


async def _run_desk_paced(desk: Desk, args: argparse.Namespace) -> None:
    """A lounge's day, compressed: a push of `--batch` new visits every `--pace`
    seconds (± half, desks out of step), a pull every `--pull-every` seconds."""
    rng = random.Random(desk.store)
    await asyncio.sleep(rng.uniform(0, args.pace))
    await _push(desk, [desk.member_op])
    last_pull = time.monotonic()
    for r in range(args.rounds):
        await _push(desk, desk.visit_ops[r * args.batch:(r + 1) * args.batch])
        if time.monotonic() - last_pull >= args.pull_every:
            await _pull(desk)
            last_pull = time.monotonic()
        await asyncio.sleep(rng.uniform(0.5, 1.5) * args.pace)
    await _pull(desk)


async def _chain(bench: Bench, urls: list[str], ca: str,
                 args: argparse.Namespace) -> list[Desk]:
    member, visits = _template_ops(bench, args.rounds * args.batch)
    desks = []
    for i in range(args.desks):
        store = f"S{i:03d}"
        new_member, new_visits = _clone(member, visits, store)
        client = await _enrol(bench, urls[i % len(urls)], ca, store)
        desks.append(Desk(store, client, new_member, new_visits))
    start = time.perf_counter()
    if args.pace:
        await asyncio.gather(*(_run_desk_paced(d, args) for d in desks))
    else:
        await asyncio.gather(*(_run_desk(d, args.rounds, args.batch) for d in desks))
    elapsed = time.perf_counter() - start
    _wait_for_watermark(bench)
    for desk in desks:  # everyone catches up once more: the last pushes of the others
        await _pull(desk)
        await desk.client.aclose()
    _report(desks, elapsed, args, _visits_at_centre(bench))
    return desks


def _wait_for_watermark(bench: Bench, timeout: float = 30.0) -> None:
    """Other programs' open transactions on a shared server hold the pull watermark back:
    wait until every logged change is pullable, so "nothing lost" is a fair check."""
    query = ("SELECT coalesce(max(txid) < pg_snapshot_xmin(pg_current_snapshot()), true)"
             " FROM sync_change_log")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with bench.centre.engine.connect() as conn:
            if conn.exec_driver_sql(query).scalar():
                return
        time.sleep(0.1)


def _visits_at_centre(bench: Bench) -> int:
    with bench.centre.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM visits").scalar() or 0)


def _report(desks: list[Desk], elapsed: float, args: argparse.Namespace,
            at_centre: int) -> None:
    pushes = sorted(ms for d in desks for ms in d.push_ms)
    pulls = sorted(ms for d in desks for ms in d.pull_ms)
    ops = args.desks * (args.rounds * args.batch + 1)
    pacing = (f"a push every {args.pace:g} s (± half), a pull every {args.pull_every:g} s"
              if args.pace else "no pause (saturation)")
    print(f"{args.desks} desks × {args.rounds} rounds × {args.batch} ops, {pacing}, "
          f"{args.instances} instance(s); {machine()}")
    print(table(["", "requests", "p50 ms", "p99 ms", "max ms", "throughput"], [
        ["push", len(pushes), f"{percentile(pushes, 50):.1f}", f"{percentile(pushes, 99):.1f}",
         f"{pushes[-1]:.1f}", f"{ops / elapsed:,.0f} ops/s"],
        ["pull", len(pulls), f"{percentile(pulls, 50):.1f}", f"{percentile(pulls, 99):.1f}",
         f"{pulls[-1]:.1f}", f"{sum(d.pulled for d in desks) / elapsed:,.0f} changes/s"]]))
    caught_up = sorted({d.pulled for d in desks})
    visits = args.desks * args.rounds * args.batch
    lost = "nothing lost" if caught_up == [ops] and at_centre == visits else "LOST"
    errors = sum((d.errors for d in desks), Counter())
    print(f"wall {elapsed:.2f} s; failed requests (retried) "
          f"{sum(errors.values())} {dict(errors)}; every desk pulled {caught_up} changes "
          f"(expected {ops}); visits at the centre {at_centre} of {visits}: {lost}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--desks", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--pace", type=float, default=0.0,
                        help="seconds between a desk's pushes (0: no pause, saturation)")
    parser.add_argument("--pull-every", type=float, default=30.0,
                        help="with --pace: seconds between a desk's pulls (default 30)")
    parser.add_argument("--instances", type=int, default=1,
                        help="service processes on the same database (round robin)")
    parser.add_argument("--server", default=os.environ.get("VIPDESK_TEST_PG_URL", SERVER))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(args.server, Path(folder))
        procs: list[Any] = []
        try:
            urls = []
            tls = _tls(Path(folder))  # one certificate: the desks trust every instance
            for _ in range(args.instances):
                proc, url, ca = _serve(bench, Path(folder), tls)
                procs.append(proc)
                urls.append(url)
            asyncio.run(_chain(bench, urls, ca, args))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)
            bench.drop()

if __name__ == "__main__":
    main()
