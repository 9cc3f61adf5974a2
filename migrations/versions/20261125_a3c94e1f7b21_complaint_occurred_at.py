"""complaint: when it happened (occurred_at), besides when the desk received it

Revision ID: a3c94e1f7b21
Revises: 5c1e9a7d3b20
Create Date: 2026-11-25 16:10:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vipdesk.models.base

revision: str = 'a3c94e1f7b21'
down_revision: str | None = '5c1e9a7d3b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurred_at',
                                      vipdesk.models.base.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_column('occurred_at')
