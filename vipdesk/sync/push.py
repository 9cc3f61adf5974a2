"""Desk side of a push: send the outbox in commit order, delete what the centre acked.

The centre commits a batch before it answers; the desk deletes the acked ops in one
local transaction afterwards. A crash between the two leaves the ops queued: the next
push sends them again and the centre answers "duplicate" without applying anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, delete, func, insert, select

from vipdesk.models import SyncDeadLetter, SyncOutbox, utcnow
from vipdesk.outbox.ops import Op, Outcome, PushResult, loads
from vipdesk.sync.central import CentreAPI

BATCH = 500


@dataclass
class PushReport:
    sent: int = 0
    batches: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    server_time_ms: int | None = None

    def add(self, result: PushResult) -> None:
        self.batches += 1
        self.sent += len(result.acks)
        self.server_time_ms = result.server_time_ms
        for name, count in result.counts.items():
            self.outcomes[name] = self.outcomes.get(name, 0) + count


def pending(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(SyncOutbox)) or 0)


def read_batch(conn: Connection, limit: int, after: int = 0) -> list[tuple[int, Op]]:
    """The oldest `limit` ops after seq `after`, in commit order (plain sqlite3: a push
    reads thousands)."""
    rows = conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
        "SELECT seq, op_id, kind, table_name, record_id, payload, hlc, protocol"
        " FROM sync_outbox WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)).fetchall()
    return [(seq, Op(uuid.UUID(op_id), kind, table_name, uuid.UUID(record_id),
                     loads(payload), hlc, protocol, payload))
            for seq, op_id, kind, table_name, record_id, payload, hlc, protocol in rows]


Encode = Callable[[str, list[Op]], list[Op]]


def _read(desk: Engine, store: str, encode: Encode, limit: int,
          after: int = 0) -> list[tuple[int, Op]]:
    with desk.connect() as conn:
        batch = read_batch(conn, limit, after)
    if not batch:
        return batch
    ops = encode(store, [op for _, op in batch])
    return [(seq, op) for (seq, _), op in zip(batch, ops, strict=True)]


def _as_is(_store: str, ops: list[Op]) -> list[Op]:
    return ops


def push_all(desk: Engine, centre: CentreAPI, store: str, batch_size: int = BATCH,
             on_pushed: Callable[[PushResult], None] | None = None) -> PushReport:
    """Send the outbox batch by batch. While the centre decides a batch, one thread of
    the desk forgets the batch before and reads the next (the reads are committed ops
    with higher sequence numbers: the order sent is the commit order all the same), and
    a centre that offers `encoded` (the service's client) has its request body made
    there too. `on_pushed` runs after the centre committed a batch and before the desk
    forgets it: the window a crash test aims at."""
    report = PushReport()
    encode: Encode = getattr(centre, "encoded", _as_is)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-desk") as desk_side:
        batch = _read(desk, store, encode, batch_size)
        forgetting: Future[bool] | None = None
        while batch:
            upcoming = desk_side.submit(_read, desk, store, encode, batch_size, batch[-1][0])
            result = centre.push(store, [op for _, op in batch])
            if on_pushed:
                on_pushed(result)
            if forgetting is not None:
                forgetting.result()  # an error forgetting the batch before stops here
            forgetting = desk_side.submit(_forget_acked, desk, store, batch, result)
            report.add(result)
            every_op_answered = {a.op_id for a in result.acks} >= {op.op_id for _, op in batch}
            batch = upcoming.result()
            if not every_op_answered:  # send the oldest again, never skip past an op
                forgetting.result()
                batch = _read(desk, store, encode, batch_size)
        if forgetting is not None:
            forgetting.result()
    return report


def _forget_acked(desk: Engine, store: str, batch: list[tuple[int, Op]],
                  result: PushResult) -> bool:
    by_id = {ack.op_id: ack for ack in result.acks}
    with desk.begin() as conn:
        answered = [(op, by_id[op.op_id]) for _, op in batch if op.op_id in by_id]
        rejected = [(op, ack.reason) for op, ack in answered
                    if ack.outcome is Outcome.REJECTED]
        if rejected:  # kept on the desk too, so its administrator sees what did not travel
            conn.execute(insert(SyncDeadLetter), [
                {"id": uuid.uuid4(), "op_id": op.op_id, "store": store, "kind": op.kind,
                 "table_name": op.table_name, "record_id": op.record_id,
                 "payload": op.payload_json(), "reason": reason, "at": utcnow()}
                for op, reason in rejected])
        acked = [seq for seq, op in batch if op.op_id in by_id]
        conn.execute(delete(SyncOutbox).where(SyncOutbox.seq.in_(acked)))
    return len(acked) == len(batch)
