"""member_terms: rebuild every member's search terms with today's rules

The name index is derived data (never synced; `vipdesk.services.names.name_terms`). Its
rules changed: names in simplified form (陳大文 under 陈大文), surname readings besides
the everyday ones (曾小贤 `zxx` and `cxx`), given names' pinyin, compound surnames, and
characters outside the Basic Multilingual Plane (李𬭚 kept whole). A desk's rows written
by the old rules are replaced by the current rules' (the derived data is rebuilt with
whatever `name_terms` says now, which is the point). A database that holds no terms at
all (a central database) is left as it is. Runs once: 12 s for 100,000 members, 3½ min
for the 1,000,000-member benchmark desk (CPU-bound: pinyin of every distinct name).

Revision ID: 5e8b2c7a9d14
Revises: c2f6a9d18e35
Create Date: 2026-12-04 18:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5e8b2c7a9d14'
down_revision: str | None = 'c2f6a9d18e35'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000


def upgrade() -> None:
    from vipdesk.services.name_index import rebuild_name_terms

    rebuild_name_terms(op.get_bind(), BATCH)


def downgrade() -> None:
    pass  # the older rules read the new terms well enough; nothing to undo
