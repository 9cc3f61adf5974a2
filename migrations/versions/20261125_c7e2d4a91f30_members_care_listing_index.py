"""members: covering index for the care list's join (erased, store scope, member number)

Revision ID: c7e2d4a91f30
Revises: a3ddbef568ab
Create Date: 2026-11-25 17:05:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'c7e2d4a91f30'
down_revision: str | None = 'a3ddbef568ab'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_members_care_listing', 'members',
                    ['id', 'erased_at', 'home_store_id', 'advisor_id', 'member_no'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_members_care_listing', table_name='members')
