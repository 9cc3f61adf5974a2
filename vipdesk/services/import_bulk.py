"""Writing a batch of imported members with the DBAPI's executemany: the members, their
phones, cards, search terms and first tier change, and each synced row's outbox op, in
the caller's transaction.

The rows are the ones the ORM path writes (`members.stage_member`, `add_terms`, a
`TierChange`, and the outbox capture's session hook): same columns, same defaults, same
payloads, the ops in the same order per batch (parents first, tier history after);
`tests/services/test_import_bulk.py` compares the two paths row by row. It exists
because the ORM path costs ~1.5 ms a member (unit of work, one capture per flush) and a
chain's first load is a million members. SQLite only: the centre never imports files.
The rows themselves are built in `import_rows`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection

from vipdesk.outbox import state as sync_state
from vipdesk.outbox.capture import physical_clock
from vipdesk.outbox.hlc import HybridClock
from vipdesk.outbox.ops import INSERT, PROTOCOL
from vipdesk.outbox.tables import dependency_rank
from vipdesk.services.import_rows import (
    CARD_COLUMNS,
    MEMBER_COLUMNS,
    PHONE_COLUMNS,
    TERM_COLUMNS,
    TIER_COLUMNS,
    Ids,
    Prepared,
    RowBuilder,
    Rows,
)

__all__ = ["BulkWriter", "Prepared", "_Ids", "chunks"]

_Ids = Ids  # the purchase import's writer takes its ids from here too
# The capture's order: the members' flush (parents first), then their tier history.
OP_TABLES = (*sorted(("members", "member_phones", "member_cards"), key=dependency_rank),
             "tier_changes")


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})")


def _outbox_sql(table: str, created_at: str) -> str:
    """One table's ops: the constant columns as literals (nothing to bind per row)."""
    return ("INSERT INTO sync_outbox (op_id, kind, table_name, record_id, payload, hlc, "
            f"protocol, created_at) VALUES (?, '{INSERT}', '{table}', ?, ?, ?, {PROTOCOL}, "
            f"'{created_at}')")


class BulkWriter:
    """One per batch transaction: `write(prepared)` inserts everything the ORM would."""

    def __init__(self, conn: Connection, capture: bool,
                 terms_table: str = "member_terms") -> None:
        self.conn = conn
        self.capture = capture
        self.terms_table = terms_table  # a first load stages them (import_first_load)

    def write(self, batch: list[Prepared]) -> None:
        self.insert(RowBuilder(self.capture).build(batch))

    def insert(self, rows: Rows) -> None:
        run = self.conn.exec_driver_sql
        for table, columns, values in (
                ("members", MEMBER_COLUMNS, rows.members),
                ("member_phones", PHONE_COLUMNS, rows.phones),
                ("member_cards", CARD_COLUMNS, rows.cards),
                (self.terms_table, TERM_COLUMNS, rows.terms),
                ("tier_changes", TIER_COLUMNS, rows.tiers)):
            if values:
                run(_insert_sql(table, columns), values)
        if self.capture:
            self._outbox(rows)

    def _outbox(self, rows: Rows) -> None:
        """The ops in the capture's order; HLC stamps continue the desk's clock."""
        conn, ops = self.conn, rows.ops
        count = sum(len(ops[table]) for table in OP_TABLES)
        if not count:
            return
        clock = HybridClock(sync_state.node(conn), sync_state.last_stamp(conn),
                            physical_clock(conn.engine))
        stamps = iter(clock.ticks(count))
        op_ids = iter(rows.op_ids)
        for table in OP_TABLES:
            if ops[table]:
                conn.exec_driver_sql(_outbox_sql(table, rows.created_at), [
                    (next(op_ids), record, payload, next(stamps))
                    for record, payload in ops[table]])
        sync_state.save_stamp(conn, clock.last)


def chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
