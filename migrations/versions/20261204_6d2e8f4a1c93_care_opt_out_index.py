"""preferences: a partial index on the members who opted out of care contacts

The care list leaves out the tasks of members with the preference `care_opt_out`; this
index holds only those rows, so the list finds them without reading every preference.

Revision ID: 6d2e8f4a1c93
Revises: 3f9a6c1e8b27
Create Date: 2026-12-04 18:15:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '6d2e8f4a1c93'
down_revision: str | None = '3f9a6c1e8b27'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("tag = 'care_opt_out'")


def upgrade() -> None:
    op.create_index('ix_preferences_care_opt_out', 'preferences', ['member_id'], unique=False,
                    sqlite_where=_WHERE, postgresql_where=_WHERE)


def downgrade() -> None:
    op.drop_index('ix_preferences_care_opt_out', table_name='preferences')
