"""cli_sessions and desk_settings: desk-local tables that never sync

cli_sessions holds the hash of each command-line session token (the token itself is in
a file only the OS user can read); desk_settings holds small facts about this database
file, such as `demo` written by the demo builder.

Revision ID: c07d9ba746e2
Revises: 6d2e8f4a1c93
Create Date: 2026-12-05 07:03:33.407681
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vipdesk.models.base

revision: str = 'c07d9ba746e2'
down_revision: str | None = '6d2e8f4a1c93'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('desk_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_desk_settings')),
    info={'sync': False}
    )
    op.create_table('cli_sessions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.Column('os_user', sa.String(length=64), nullable=False),
    sa.Column('credential_stamp', sa.String(length=64), nullable=False),
    sa.Column('created_at', vipdesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', vipdesk.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_cli_sessions_staff_id_staff'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cli_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_cli_sessions_token_hash')),
    info={'sync': False}
    )
    with op.batch_alter_table('cli_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cli_sessions_staff_id'), ['staff_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('cli_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cli_sessions_staff_id'))

    op.drop_table('cli_sessions')
    op.drop_table('desk_settings')
