"""sync_dead_letters: who handled a refused change, how (retried / dismissed) and why

Revision ID: b5d0e3f7a912
Revises: e4a7c2d95b18
Create Date: 2026-11-26 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vipdesk.models.base

revision: str = 'b5d0e3f7a912'
down_revision: str | None = 'e4a7c2d95b18'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sync_dead_letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handled_at', vipdesk.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('handled_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('handling', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.create_index('ix_sync_dead_letters_open', ['handled_at', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sync_dead_letters', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_dead_letters_open')
        batch_op.drop_column('note')
        batch_op.drop_column('handling')
        batch_op.drop_column('handled_by')
        batch_op.drop_column('handled_at')
