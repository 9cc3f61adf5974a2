"""members.consent_at / consent_by: the member's consent to registration, and who recorded it

Revision ID: 9b4d7e2a6c51
Revises: 5e8b2c7a9d14
Create Date: 2026-12-04 17:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vipdesk.models.base

revision: str = '9b4d7e2a6c51'
down_revision: str | None = '5e8b2c7a9d14'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch (table copy) would drop the triggers on members.
    op.add_column('members', sa.Column('consent_at', vipdesk.models.base.UTCDateTime(
        timezone=True), nullable=True))
    op.add_column('members', sa.Column('consent_by', sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column('members', 'consent_by')
    op.drop_column('members', 'consent_at')
