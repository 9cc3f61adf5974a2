"""members.photo: an optional small photo (JPEG or PNG) shown on the member card

Revision ID: c2f6a9d18e35
Revises: a7e2b9c4d610
Create Date: 2026-12-04 17:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c2f6a9d18e35'
down_revision: str | None = 'a7e2b9c4d610'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch (table copy) would drop the triggers on members.
    op.add_column('members', sa.Column('photo', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column('members', 'photo')
