"""The outbox capture: every ORM insert, update and delete of a synced table writes an
outbox row in the same transaction, so no service can forget to sync.

Installed once per process (`install()`, called by `vipdesk.db`) on the `Session`
class; it acts only on desk databases (SQLite with an outbox table). Sessions that apply
pulled changes set `session.info[NO_CAPTURE] = True`. Bulk ORM statements
(`session.execute(update(Model)…)`) on synced columns would bypass the outbox, so they
are refused with a message saying what to do instead.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, event, insert, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.state import InstanceState

from vipdesk.models import SyncOutbox
from vipdesk.outbox import state as sync_state
from vipdesk.outbox import tables
from vipdesk.outbox.hlc import HybridClock, wall_clock_ms
from vipdesk.outbox.ops import DELETE, INSERT, PROTOCOL, UPDATE

NO_CAPTURE = "vipdesk.sync.no_capture"
_outbox_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
# A desk's physical clock; replaceable per engine so tests can run desks hours apart.
_physical: weakref.WeakKeyDictionary[Engine, Callable[[], int]] = weakref.WeakKeyDictionary()
_installed = False


class SyncBypassError(RuntimeError):
    """A write that would not reach the outbox (and so never reach the other desks)."""


@dataclass(frozen=True)
class _Pending:
    kind: str
    table_name: str
    record_id: uuid.UUID
    payload: dict[str, Any]

    def order(self) -> tuple[int, int]:
        rank = tables.dependency_rank(self.table_name)
        return {INSERT: (0, rank), UPDATE: (1, 0), DELETE: (2, -rank)}[self.kind]


def install() -> None:
    """Idempotent: listen on every session of the process."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _guard_bulk)
    _installed = True


def _capturing(session: Session) -> Connection | None:
    if session.info.get(NO_CAPTURE):
        return None
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return None  # the centre records its changes in its change log, not an outbox
    engine = conn.engine
    if engine not in _outbox_engines:
        found = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='sync_outbox'").first()
        if found is None:
            return None  # not migrated yet (or not a desk)
        _outbox_engines.add(engine)
    return conn


def _after_flush(session: Session, context: UOWTransaction) -> None:
    # Runs inside the flush's transaction with the pre-flush history still readable.
    pending = [*_inserts(session), *_updates(session), *_deletes(context)]
    if not pending:
        return
    conn = _capturing(session)
    if conn is None:
        return
    write_ops(conn, sorted(pending, key=_Pending.order))


def set_physical_clock(engine: Engine, clock_ms: Callable[[], int]) -> None:
    _physical[engine] = clock_ms


def physical_clock(engine: Engine) -> Callable[[], int]:
    return _physical.get(engine, wall_clock_ms)


def write_ops(conn: Connection, pending: list[_Pending]) -> None:
    clock = HybridClock(sync_state.node(conn), sync_state.last_stamp(conn),
                        physical_clock(conn.engine))
    rows = [{"op_id": uuid.uuid4(), "kind": p.kind, "table_name": p.table_name,
             "record_id": p.record_id, "payload": tables.canonical(p.payload),
             "hlc": str(clock.tick()), "protocol": PROTOCOL} for p in pending]
    conn.execute(insert(SyncOutbox), rows)
    sync_state.save_stamp(conn, clock.last)


def enqueue_existing(engine: Engine, batch: int = 5000) -> int:
    """Queue every synced row as an insert op: for a desk whose rows were written around
    the outbox (the demo builder's bulk inserts) that is to seed the centre. Parents come
    first (tables in dependency order), so the centre can apply them in outbox order."""
    queued = 0
    with engine.begin() as conn:
        for name, table in tables.synced_tables().items():
            pending: list[_Pending] = []
            for row in conn.execute(select(table)).mappings():
                pending.append(_Pending(INSERT, name, row["id"],
                                        {"row": tables.encode_row(name, row)}))
                if len(pending) >= batch:
                    write_ops(conn, pending)
                    queued, pending = queued + len(pending), []
            if pending:
                write_ops(conn, pending)
                queued += len(pending)
    return queued


def _synced_state(obj: object) -> tuple[InstanceState[Any], str] | None:
    st = obj if isinstance(obj, InstanceState) else inspect(obj)
    name = str(getattr(st.mapper.local_table, "name", ""))
    return (st, name) if tables.is_synced(name) else None


def _attribute_key(st: InstanceState[Any], column: Any) -> str:
    return str(st.mapper.get_property_by_column(column).key)


def _inserts(session: Session) -> list[_Pending]:
    out: list[_Pending | None] = []
    # Rows with a column the flush did not set (the database filled it) are read back,
    # one query per table for the whole flush (an import flushes hundreds at once).
    unread: dict[str, list[tuple[int, Any]]] = {}
    for obj in session.new:
        found = _synced_state(obj)
        if found is None:
            continue
        st, name = found
        values = {c.name: st.dict.get(_attribute_key(st, c), _MISSING)
                  for c in tables.synced_columns(name)}
        if any(v is _MISSING for v in values.values()):
            record_id = st.identity[0] if st.identity else values["id"]
            unread.setdefault(name, []).append((len(out), record_id))
            out.append(None)
            continue
        out.append(_insert_op(name, values))
    for name, slots in unread.items():
        rows = _reload(session, name, [record_id for _, record_id in slots])
        for index, record_id in slots:
            out[index] = _insert_op(name, rows[record_id])
    return [op for op in out if op is not None]


def _insert_op(name: str, values: dict[str, Any]) -> _Pending:
    return _Pending(INSERT, name, values["id"], {"row": tables.encode_row(name, values)})


_MISSING = object()
_RELOAD_CHUNK = 500


def _reload(session: Session, table_name: str, record_ids: list[Any]
            ) -> dict[Any, dict[str, Any]]:
    """The rows as stored, by id: values the database filled in (defaults, NULLs for
    columns never set) read back."""
    table = tables.table(table_name)
    conn = session.connection()
    rows: dict[Any, dict[str, Any]] = {}
    for i in range(0, len(record_ids), _RELOAD_CHUNK):
        chunk = record_ids[i:i + _RELOAD_CHUNK]
        for row in conn.execute(select(table).where(table.c.id.in_(chunk))):
            rows[row.id] = dict(row._mapping)
    return rows


def _updates(session: Session) -> list[_Pending]:
    out = []
    for obj in session.dirty:
        found = _synced_state(obj)
        if found is None or not session.is_modified(obj):
            continue
        st, name = found
        changed, base = _changed_fields(st, name)
        if changed:
            payload = {"set": changed, "base": base}
            out.append(_Pending(UPDATE, name, _record_id(st), payload))
    return out


def _changed_fields(st: InstanceState[Any], name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    changed: dict[str, Any] = {}
    base: dict[str, Any] = {}
    for column in tables.synced_columns(name):
        history = st.attrs[_attribute_key(st, column)].history
        if not history.added:
            continue
        new = tables.encode_value(history.added[0])
        if history.deleted:  # unknown when the old value was never loaded
            old = tables.encode_value(history.deleted[0])
            if old == new:
                continue
            base[column.name] = old
        changed[column.name] = new
    return changed, base


def _record_id(st: InstanceState[Any]) -> uuid.UUID:
    key = st.identity
    if key is None:
        raise SyncBypassError("a synced object without an identity was flushed")
    return uuid.UUID(str(key[0]))


def _deletes(context: UOWTransaction) -> list[_Pending]:
    # The flush's own list, not `session.deleted`: it includes the rows removed by a
    # delete-orphan cascade (a phone taken off `member.phones`).
    out = []
    for st, (is_delete, list_only) in context.states.items():
        if not is_delete or list_only:
            continue
        found = _synced_state(st)
        if found is not None:
            out.append(_Pending(DELETE, found[1], _record_id(st), {}))
    return out


def _guard_bulk(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    target = getattr(state.statement, "table", None)
    name = getattr(target, "name", None)
    if name is None or not tables.is_synced(name) or _capturing(state.session) is None:
        return
    if state.is_update and _touches_only_local(name, state):
        return
    verb = "INSERT" if state.is_insert else "UPDATE" if state.is_update else "DELETE"
    raise SyncBypassError(
        f"bulk {verb} on synced table {name!r} would bypass the sync outbox; "
        "load the objects and change them through the session instead")


def _touches_only_local(table_name: str, state: ORMExecuteState) -> bool:
    values = getattr(state.statement, "_values", None) or {}
    names = {getattr(k, "key", k) for k in values}
    params = state.parameters
    if isinstance(params, dict):
        names |= set(params)
    elif isinstance(params, list):
        for p in params:
            names |= set(p)
    if not names:
        return False
    return not (names & tables.synced_column_names(table_name))
