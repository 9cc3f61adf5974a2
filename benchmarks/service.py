"""Sync through the central service (HTTPS) against raw psycopg, and a new desk's
bootstrap from a large centre by snapshot.

    python -m benchmarks.service [--push 10000] [--pull 100000] [--repeat 3]
                                 [--members 100000,300000] [--desk-file M]
                                 [--server URL]

- push / pull: as benchmarks/sync.py, but the desk talks to `vipdesk-central serve`
  (its own process, TLS, one worker, pool of 4) with an enrolled credential: the store
  authority check, JSON and gzip both ways and the push log are in the timing. The
  baselines are the same raw psycopg ones (executemany into `visits`, one commit per
  500; COPY out + sqlite3 executemany, one commit per 2,000), timed in the same round.
- desk file (`--desk-file M`): a centre of M members with a phone and a card each; the
  centre builds the ready-made desk file (timed apart), then a fresh desk starts from
  it through the service (`pull_all`: download, unpack, hash, copy, cursor). The floor
  is the download and unpack alone, timed in the same run.
- snapshot: a centre holding M members (inserted by SQL, untimed); a fresh desk asks the
  service for a snapshot and applies it (`rebuild`, pages of 2,000, the name search
  index rebuilt as for any pulled member). Timed from the request to the cursor saved.

Each part runs on its own fresh database `vipdesk_bench_<random>`, dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.chain import _serve
from benchmarks.common import machine, table
from benchmarks.sync import (
    SERVER,
    Bench,
    Rounds,
    _member,
    _visits,
    raw_pull,
    raw_push,
    result_row,
    seed_centre,
)
from vipdesk.central.enrol import issue_code
from vipdesk.sync.desk_file_build import build
from vipdesk.sync.pull import pull_all
from vipdesk.sync.push import push_all
from vipdesk.sync.remote import RemoteCentre
from vipdesk.sync.snapshot import rebuild

SNAPSHOT_TARGET_S = 60.0  # for 1,000,000 members

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红建文"
         "辉力永健世广志义兴良海山仁波宁福生龙元全国胜学祥才发成康星光")
# Names repeat as in a real chain (≈ 20 × 60 × 61 distinct): the index's cache is
# exercised as it would be, not defeated by a number in every name.
MEMBERS_SQL = f"""
INSERT INTO members (id, member_no, name_zh, gender, birthday, birthday_md, language,
                     spend_12m_cents, updated_at, created_at)
SELECT gen_random_uuid(), 'M' || lpad(g::text, 8, '0'),
       substr('{SURNAMES}', 1 + g %% 20, 1) || substr('{GIVEN}', 1 + (g / 20) %% 60, 1)
         || CASE WHEN g %% 3 = 0 THEN '' ELSE substr('{GIVEN}', 1 + (g / 1200) %% 60, 1) END,
       CASE WHEN g %% 2 = 0 THEN 'F' ELSE 'M' END,
       date '1960-01-01' + (g %% 15000), NULL, 'zh', 0, now(), now()
FROM generate_series(1, %(n)s) AS g
"""


# One phone and one card a member, as a chain's file has them.
PHONES_SQL = """
INSERT INTO member_phones (id, member_id, e164, suffix4, label, is_primary)
SELECT gen_random_uuid(), id, '+86139' || lpad(substr(member_no, 2), 8, '0'),
       right(member_no, 4), NULL, true FROM members
"""
CARDS_SQL = """
INSERT INTO member_cards (id, member_id, card_no, status, created_at)
SELECT gen_random_uuid(), id, '88' || substr(member_no, 2), 'active', now() FROM members
"""


class Service:
    """`vipdesk-central serve` over one bench database, and its enrolled clients."""

    def __init__(self, bench: Bench, folder: Path, desk_files: Path | None = None) -> None:
        folder.mkdir(exist_ok=True)
        self.bench = bench
        self.proc: subprocess.Popen[bytes]
        self.proc, self.url, self.ca = _serve(bench, folder, desk_files=desk_files)
        self.clients: list[RemoteCentre] = []
        self.desk_files = desk_files

    def client(self, store: str) -> RemoteCentre:
        code = issue_code(self.bench.centre.engine, store)
        anonymous = RemoteCentre(self.url, None, self.ca)
        try:
            answer = anonymous.enrol(code, f"bench {store}")
        finally:
            anonymous.dispose()
        client = RemoteCentre(self.url, f"vdk1.{answer['device_id']}.{answer['secret']}",
                              self.ca)
        self.clients.append(client)
        return client

    def stop(self) -> None:
        for client in self.clients:
            client.dispose()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def bench_push(service: Service, n: int, repeat: int) -> Rounds:
    rounds = []
    for i in range(repeat):
        store = f"S{i}"
        desk, client = service.bench.desk(f"pusher{i}", store), service.client(store)
        member_id = _member(desk)
        push_all(desk, client, store)  # the member first, untimed
        _visits(desk, member_id, n)
        t0 = time.perf_counter()
        report = push_all(desk, client, store)
        sync_s = time.perf_counter() - t0
        assert report.outcomes == {"applied": n}, report.outcomes
        rounds.append((sync_s, raw_push(service.bench, member_id, n)))
        desk.dispose()
    return rounds


def bench_pull(service: Service, n: int, repeat: int) -> Rounds:
    seed_centre(service.bench, n)
    rounds = []
    for i in range(repeat):
        desk, client = service.bench.desk(f"puller{i}", f"P{i}"), service.client(f"P{i}")
        t0 = time.perf_counter()
        report = pull_all(desk, client)
        sync_s = time.perf_counter() - t0
        assert n <= report.applied <= n + 1, report.applied  # + the seeding desk's member
        desk.dispose()
        rounds.append((sync_s, raw_pull(service.bench, n)))
    return rounds


def bench_snapshot(service: Service, members: int) -> tuple[float, float, int]:
    """(seconds to seed the centre, seconds to bootstrap a desk, rows applied)."""
    t0 = time.perf_counter()
    with service.bench.centre.engine.begin() as conn:
        conn.exec_driver_sql(MEMBERS_SQL, {"n": members})
        conn.exec_driver_sql("ANALYZE members")
    seed_s = time.perf_counter() - t0
    desk, client = service.bench.desk("newdesk", "N1"), service.client("N1")
    t0 = time.perf_counter()
    head, rows = client.snapshot()
    applied = rebuild(desk, head, rows)
    boot_s = time.perf_counter() - t0
    assert applied is not None and applied >= members, applied
    desk.dispose()
    return seed_s, boot_s, applied


def bench_desk_file(service: Service, members: int) -> dict[str, float]:
    """A new desk from a centre of `members` (one phone and one card each) by the
    ready-made desk file: the centre's build, then the desk's whole start (download,
    unpack, hash check, copy, cursor), and the floor: the download and unpack alone."""
    figures: dict[str, float] = {"members": members}
    t0 = time.perf_counter()
    with service.bench.centre.engine.begin() as conn:
        conn.exec_driver_sql(MEMBERS_SQL, {"n": members})
        conn.exec_driver_sql(PHONES_SQL)
        conn.exec_driver_sql(CARDS_SQL)
        conn.exec_driver_sql("ANALYZE")
    figures["seed_s"] = time.perf_counter() - t0
    assert service.desk_files is not None
    t0 = time.perf_counter()
    made = build(service.bench.centre.engine, service.desk_files)
    figures["build_s"] = time.perf_counter() - t0
    figures["file_mib"] = made.size / 2**20
    client = service.client("N1")
    floor_file = service.bench.folder / "floor.sqlite"
    t0 = time.perf_counter()
    assert client.fetch_desk_file(floor_file) is not None
    figures["floor_s"] = time.perf_counter() - t0
    figures["desk_mib"] = floor_file.stat().st_size / 2**20
    floor_file.unlink()
    desk = service.bench.desk("newdesk", "N1")
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = pull_all(desk, client)
    figures["boot_s"] = time.perf_counter() - t0
    figures["boot_cpu_s"] = time.process_time() - cpu0
    assert report.snapshot and report.applied >= 3 * members, report
    figures["rows"] = report.applied
    with desk.connect() as conn:
        terms = conn.exec_driver_sql("SELECT count(*) FROM member_terms").scalar()
    assert terms and terms >= members, terms
    desk.dispose()
    return figures


def _run(server: str, folder: Path, name: str, work,  # type: ignore[no-untyped-def]
         with_desk_files: bool = False):
    bench = Bench(server, folder / name)
    service = None
    try:
        files = folder / name / "desk-files" if with_desk_files else None
        service = Service(bench, folder / name / "tls", files)
        return work(service)
    finally:
        if service is not None:
            service.stop()
        bench.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--push", type=int, default=10_000)
    parser.add_argument("--pull", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--members", default="100000,300000",
                        help="comma-separated centre sizes for the snapshot bootstrap")
    parser.add_argument("--desk-file", type=int, default=0, metavar="MEMBERS",
                        help="a new desk by the ready-made desk file from a centre of "
                             "MEMBERS (e.g. 1000000)")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = []
        if args.push:
            push = _run(args.server, folder, "push",
                        lambda s: bench_push(s, args.push, args.repeat))
            rows.append(result_row("push via service", args.push, push))
        if args.pull:
            pull = _run(args.server, folder, "pull",
                        lambda s: bench_pull(s, args.pull, args.repeat))
            rows.append(result_row("pull via service", args.pull, pull))
        if rows:
            print(table(["", "records", "sync s (median)", "records/s", "raw s (median)",
                         "ratio median (min–max)", "target ≤ 3"], rows))
        sizes = [int(x) for x in args.members.split(",") if x.strip()]
        if sizes:
            _snapshots(args.server, folder, sizes)
        if args.desk_file:
            _desk_file(args.server, folder, args.desk_file)


def _desk_file(server: str, folder: Path, members: int) -> None:
    f = _run(server, folder, "deskfile", lambda s: bench_desk_file(s, members),
             with_desk_files=True)
    print(table(["members", "seed s", "build s (centre)", "file MiB (gz / desk)",
                 "new desk s", "desk CPU s", "rows", "download + unpack s", "ratio"],
                [[f"{members:,}", f"{f['seed_s']:.1f}", f"{f['build_s']:.1f}",
                  f"{f['file_mib']:.0f} / {f['desk_mib']:.0f}", f"{f['boot_s']:.1f}",
                  f"{f['boot_cpu_s']:.1f}", f"{f['rows']:,.0f}", f"{f['floor_s']:.1f}",
                  f"{f['boot_s'] / f['floor_s']:.1f}×"]]))
    print(f"new desk from {members:,} members: {f['boot_s']:.1f} s "
          f"(target ≤ {SNAPSHOT_TARGET_S:.0f} s for 1,000,000)")


def _snapshots(server: str, folder: Path, sizes: list[int]) -> None:
    found = [(m, *_run(server, folder, f"snap{m}", lambda s, m=m: bench_snapshot(s, m)))
             for m in sizes]
    rows = [[f"{m:,}", f"{seed:.1f}", f"{boot:.1f}", f"{applied:,}", f"{applied / boot:,.0f}",
             f"{boot * 1_000_000 / m:.0f}"] for m, seed, boot, applied in found]
    print(table(["members at the centre", "seed s", "bootstrap s", "rows applied",
                 "rows/s", "linear 1 M s"], rows))
    per_row = statistics.median(boot / applied for _, _, boot, applied in found)
    print(f"1,000,000 members at the median rate: {per_row * 1_000_000:.0f} s "
          f"(target ≤ {SNAPSHOT_TARGET_S:.0f} s)")


if __name__ == "__main__":
    main()
