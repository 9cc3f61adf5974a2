"""The pull cursor never skips a change whose transaction commits out of order.

A `seq > last` cursor reads a later-numbered row that committed first, moves past the
earlier number, and never sees that row when its transaction commits — the bug that
bit Marten and Axon. The (txid, seq) cursor below the snapshot's xmin waits for it.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.sync.helpers import count, wait_for_watermark
from vipdesk.models import Store
from vipdesk.sync.central import Centre
from vipdesk.sync.pull import pull_all


def _dsn(centre: Centre) -> str:
    url = centre.engine.url.set(drivername="postgresql")
    return make_url(url).render_as_string(hide_password=False)


def _log_store_insert(conn: psycopg.Connection, code: str) -> int:
    """Logs a new store as a desk's push would; returns its change-log seq."""
    store_id = uuid.uuid4()
    row = {"id": str(store_id), "code": code, "name": code, "language": "zh",
           "timezone": "Asia/Shanghai", "created_at": "2026-11-25T10:00:00+00:00"}
    conn.execute("INSERT INTO stores (id, code, name, language, timezone, created_at)"
                 " VALUES (%s, %s, %s, 'zh', 'Asia/Shanghai', '2026-11-25T10:00:00+00:00')",
                 (store_id, code, code))
    logged = conn.execute(
        "INSERT INTO sync_change_log (kind, table_name, record_id, payload, store)"
        " VALUES ('insert', 'stores', %s, %s, 'T') RETURNING seq",
        (store_id, json.dumps({"row": row}))).fetchone()
    assert logged is not None
    return int(logged[0])


def _naive_pull(conn: psycopg.Connection, last_seq: int) -> list[int]:
    """What a plain bigserial cursor would read."""
    return [r[0] for r in conn.execute(
        "SELECT seq FROM sync_change_log WHERE seq > %s ORDER BY seq", (last_seq,))]


def test_out_of_order_commit_is_not_skipped(centre: Centre, make_desk) -> None:
    desk = make_desk("reader")
    dsn = _dsn(centre)
    with psycopg.connect(dsn) as slow, psycopg.connect(dsn) as fast, \
            psycopg.connect(dsn, autocommit=True) as naive, psycopg.connect(dsn) as late:
        _log_store_insert(slow, "S1")  # seq n, its transaction stays open
        second = _log_store_insert(fast, "S2")  # seq n + 1, commits first
        fast.commit()

        pull_all(desk, centre)
        naive_seen = _naive_pull(naive, 0)
        assert naive_seen == [second]  # the plain cursor moves to n + 1 ...
        assert count(desk, Store) == 0  # ... the commit-safe one waits for seq n

        slow.commit()
        third = _log_store_insert(late, "S3")
        late.commit()

        wait_for_watermark(centre)  # another program's open transaction holds rows back
        pull_all(desk, centre)
        assert _naive_pull(naive, max(naive_seen)) == [third]  # seq n is lost for ever
    with desk.connect() as conn:
        codes = set(conn.scalars(select(Store.code)))
    assert codes == {"S1", "S2", "S3"}


def test_soak_concurrent_writers_with_rollbacks(centre: Centre, make_desk) -> None:
    """Writers commit and roll back in random order while a desk keeps pulling; the desk
    ends with exactly the committed rows, each once."""
    desk = make_desk("reader")
    dsn = _dsn(centre)
    committed: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int) -> None:
        rng = random.Random(n)
        with psycopg.connect(dsn) as conn:
            for i in range(25):
                code = f"W{n}-{i}"
                _log_store_insert(conn, code)
                time.sleep(rng.random() * 0.02)
                if rng.random() < 0.2:
                    conn.rollback()
                else:
                    conn.commit()
                    with lock:
                        committed.add(code)

    def reader() -> None:
        while not stop.is_set():
            pull_all(desk, centre, batch_size=7)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    pulling = threading.Thread(target=reader)
    pulling.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    pulling.join()
    wait_for_watermark(centre)
    pull_all(desk, centre)
    with desk.connect() as conn:
        codes = list(conn.scalars(select(Store.code)))
    assert len(codes) == len(set(codes))
    assert set(codes) == committed


def test_a_pull_is_one_index_range_scan_without_a_sort(pg_centre: Centre) -> None:
    """The ORDER BY must be the index's own (txid, seq), or every pull sorts the tail."""
    from sqlalchemy import text

    centre = pg_centre
    with centre.engine.connect() as conn:
        for knob in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            conn.execute(text(f"SET LOCAL {knob} = off"))  # a sort appears only if unavoidable
        plan = "\n".join(r[0] for r in conn.execute(
            text("EXPLAIN " + centre._changes_sql()), {"txid": "0", "seq": 0, "limit": 100}))
    assert "ix_sync_change_log_txid_seq" in plan
    assert "Sort" not in plan
