"""care_tasks: an integer row id instead of a UUID derived from the task key

Tasks are desk-local (never synced) and found by their unique `task_key`; the uuid5 id
cost a Python call and a random B-tree insert per task, half the cost of storing a
million-member lounge's first list. The rows are copied over with new ids.

Revision ID: e4a7c2d95b18
Revises: d81f3b6c2a47
Create Date: 2026-11-25 19:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vipdesk.models.base

revision: str = 'e4a7c2d95b18'
down_revision: str | None = 'd81f3b6c2a47'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = vipdesk.models.base.UTCDateTime(timezone=True)
_KEPT = ("task_key", "member_id", "kind", "generated_on", "due_on", "due_at", "context",
         "closed_at", "closed_by", "created_at")


def _create(name: str, id_column: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name, id_column,
        sa.Column('task_key', sa.String(length=100), nullable=False),
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('generated_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('due_at', UTC, nullable=True),
        sa.Column('context', sa.Text(), nullable=True),
        sa.Column('closed_at', UTC, nullable=True),
        sa.Column('closed_by', sa.String(length=16), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_care_tasks_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_care_tasks')),
        sa.UniqueConstraint('task_key', name=op.f('uq_care_tasks_task_key')))


def _replace(id_column: sa.Column, copy_rows: bool) -> None:  # type: ignore[type-arg]
    """Rebuild care_tasks under a temporary name with `id_column`, then swap it in."""
    op.drop_index('ix_care_tasks_open', table_name='care_tasks')
    op.drop_index(op.f('ix_care_tasks_member_id'), table_name='care_tasks')
    op.rename_table('care_tasks', 'care_tasks_old')
    if op.get_bind().dialect.name == "postgresql":
        _rename_pg_constraints()  # their indexes' names are per schema there
    _create('care_tasks', id_column)
    if copy_rows:
        columns = ", ".join(_KEPT)
        op.execute(f"INSERT INTO care_tasks ({columns}) SELECT {columns} FROM care_tasks_old "
                   f"ORDER BY created_at")
    op.drop_table('care_tasks_old')
    op.create_index(op.f('ix_care_tasks_member_id'), 'care_tasks', ['member_id'],
                    unique=False)
    op.create_index('ix_care_tasks_open', 'care_tasks', ['closed_at', 'due_on'], unique=False)


def _rename_pg_constraints() -> None:
    for name in ("pk_care_tasks", "uq_care_tasks_task_key", "fk_care_tasks_member_id_members"):
        op.execute(f"ALTER TABLE care_tasks_old RENAME CONSTRAINT {name} TO {name}_old")


def upgrade() -> None:
    _replace(sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
             copy_rows=True)


def downgrade() -> None:
    # The old ids were uuid5(task_key), which SQL cannot compute: the table comes back
    # empty and the next build finds the tasks again (their done state lives in the care
    # contacts, which are kept).
    _replace(sa.Column('id', sa.Uuid(), nullable=False), copy_rows=False)
