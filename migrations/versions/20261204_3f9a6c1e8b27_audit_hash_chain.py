"""audit_log: a hash chain per desk (desk_key, seq, prev_hash, entry_hash); no rewrites

Existing entries are chained in order of `at`, then id, under this database's own new
chain key (sync_state 'audit_desk'), so an old desk verifies clean. SQLite gains a
BEFORE INSERT trigger: an insert over an existing entry (INSERT OR REPLACE, which the
UPDATE/DELETE triggers never see) or into a taken place of a chain is refused, and an
entry of this desk's own chain must continue it. The same entry arriving twice, identical
in every column (sync re-delivery), is skipped quietly, as ON CONFLICT DO NOTHING would.

Revision ID: 3f9a6c1e8b27
Revises: d81c4e6f2a97
Create Date: 2026-12-04 18:40:00
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3f9a6c1e8b27'
down_revision: str | None = 'd81c4e6f2a97'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = "audit log is append-only"
CHAIN_COLUMNS = (("desk_key", sa.String(36)), ("seq", sa.Integer()),
                 ("prev_hash", sa.String(64)), ("entry_hash", sa.String(64)))
BATCH = 2000


def upgrade() -> None:
    _drop_triggers()
    for name, kind in CHAIN_COLUMNS:
        op.add_column('audit_log', sa.Column(name, kind, nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        for name, kind in CHAIN_COLUMNS:
            batch_op.alter_column(name, existing_type=kind, nullable=False)
        batch_op.create_unique_constraint('uq_audit_log_desk_key_seq', ['desk_key', 'seq'])
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_log_desk_key_seq', type_='unique')
        for name, _kind in reversed(CHAIN_COLUMNS):
            batch_op.drop_column(name)
    _create_update_delete_triggers()


def _chain_existing_entries() -> None:
    from vipdesk.models import AuditEntry
    from vipdesk.outbox.audit_chain import CHAINED_FIELDS, GENESIS, LOCAL_KEY, entry_hash

    conn = op.get_bind()
    state = sa.table("sync_state", sa.column("key", sa.String()), sa.column("value", sa.Text()))
    key = conn.scalar(sa.select(state.c.value).where(state.c.key == LOCAL_KEY))
    if key is None:
        key = str(uuid.uuid4())
        conn.execute(state.insert().values(key=LOCAL_KEY, value=key))
    table = AuditEntry.__table__
    old = [table.c[n] for n in CHAINED_FIELDS if n not in ("desk_key", "seq", "prev_hash")]
    rows = conn.execute(sa.select(*old).order_by(table.c.at, table.c.id)).mappings()
    stmt = table.update().where(table.c.id == sa.bindparam("_id")).values(
        desk_key=sa.bindparam("_key"), seq=sa.bindparam("_seq"),
        prev_hash=sa.bindparam("_prev"), entry_hash=sa.bindparam("_hash"))
    prev, pending = GENESIS, []
    for seq, row in enumerate(rows, start=1):
        values = {**row, "desk_key": key, "seq": seq, "prev_hash": prev}
        digest = entry_hash(values)
        pending.append({"_id": row["id"], "_key": key, "_seq": seq, "_prev": prev,
                        "_hash": digest})
        prev = digest
    for i in range(0, len(pending), BATCH):
        conn.execute(stmt, pending[i:i + BATCH])
    _complete_queued_entries(conn, {p["_id"]: p for p in pending})


def _complete_queued_entries(conn: sa.Connection, chained: dict[uuid.UUID, dict]) -> None:
    """Entries still waiting in the outbox were captured without the chain fields, which
    the centre now requires: they leave with the values given to them here."""
    import json

    from vipdesk.models import SyncOutbox

    outbox = SyncOutbox.__table__
    queued = conn.execute(sa.select(outbox.c.seq, outbox.c.record_id, outbox.c.payload)
                          .where(outbox.c.table_name == "audit_log",
                                 outbox.c.kind == "insert")).all()
    for seq, record_id, payload in queued:
        values = chained.get(record_id)
        if values is None:
            continue
        op = json.loads(payload)
        op["row"].update(desk_key=values["_key"], seq=values["_seq"],
                         prev_hash=values["_prev"], entry_hash=values["_hash"])
        text = json.dumps(op, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        conn.execute(outbox.update().where(outbox.c.seq == seq).values(payload=text))


# -- triggers ---------------------------------------------------------------------------

_ALL_COLUMNS = ("at", "staff_id", "staff_no", "staff_name", "role", "store_id", "desk",
                "action", "member_id", "detail", "desk_key", "seq", "prev_hash", "entry_hash")
_SAME_ROW = " AND ".join(f"{c} IS NEW.{c}" for c in _ALL_COLUMNS)
_SQLITE_INSERT = f"""
CREATE TRIGGER audit_log_no_rewrite BEFORE INSERT ON audit_log
BEGIN
  SELECT CASE
    WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id AND {_SAME_ROW})
      THEN RAISE(IGNORE)
    WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
      THEN RAISE(ABORT, '{APPEND_ONLY}: that entry exists')
    WHEN EXISTS (SELECT 1 FROM audit_log WHERE desk_key = NEW.desk_key AND seq = NEW.seq)
      THEN RAISE(ABORT, '{APPEND_ONLY}: that place in the chain is taken')
    WHEN NEW.desk_key = (SELECT value FROM sync_state WHERE key = 'audit_desk')
         AND (NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log
                              WHERE desk_key = NEW.desk_key)
              OR NEW.prev_hash IS NOT coalesce(
                   (SELECT entry_hash FROM audit_log WHERE desk_key = NEW.desk_key
                    ORDER BY seq DESC LIMIT 1), '{"0" * 64}'))
      THEN RAISE(ABORT, '{APPEND_ONLY}: the entry does not continue this desk''s chain')
  END;
END
"""


def _create_triggers() -> None:
    _create_update_delete_triggers()
    if op.get_bind().dialect.name != "postgresql":
        # PostgreSQL has no INSERT OR REPLACE; its ON CONFLICT DO UPDATE fires the
        # UPDATE trigger, and the unique keys refuse a taken id or place in a chain.
        op.execute(_SQLITE_INSERT)


def _create_update_delete_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        for verb in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb} BEFORE {verb.upper()} ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
            )
        return
    for verb in ("update", "delete"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{verb} BEFORE {verb.upper()} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )


def _drop_triggers() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for name in ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_rewrite"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON audit_log" if pg else ""))
    if pg:
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
