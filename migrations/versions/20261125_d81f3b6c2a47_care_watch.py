"""care list watches: per-member churn state kept current, and the triggers that mark
the members whose purchases, visits or tier override changed

Revision ID: d81f3b6c2a47
Revises: c7e2d4a91f30
Create Date: 2026-11-25 18:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd81f3b6c2a47'
down_revision: str | None = 'c7e2d4a91f30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Marks are kept only once a build has made a watch to keep current (before that, the
# next build evaluates everyone anyway): the state row in sync_state says so.
_WATCHING = "EXISTS (SELECT 1 FROM sync_state WHERE key = 'care.watch')"
_MARK = "INSERT OR IGNORE INTO care_dirty_members (member_id) VALUES ({})"

# (name, event, table, the member ids the change touches)
_TRIGGERS = (
    ("care_dirty_purchase_insert", "INSERT", "purchases", ("NEW.member_id",)),
    ("care_dirty_purchase_delete", "DELETE", "purchases", ("OLD.member_id",)),
    ("care_dirty_purchase_update", "UPDATE OF member_id, occurred_at, amount_cents",
     "purchases", ("OLD.member_id", "NEW.member_id")),
    ("care_dirty_visit_insert", "INSERT", "visits", ("NEW.member_id",)),
    ("care_dirty_visit_delete", "DELETE", "visits", ("OLD.member_id",)),
    ("care_dirty_visit_update", "UPDATE OF member_id, checked_in_at", "visits",
     ("OLD.member_id", "NEW.member_id")),
    ("care_dirty_member_override", "UPDATE OF tier_override_code", "members", ("NEW.id",)),
)


def upgrade() -> None:
    op.create_table(
        'care_dirty_members',
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_care_dirty_members')))
    op.create_table(
        'care_spend_watch',
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('s12', sa.BigInteger(), nullable=False),
        sa.Column('prev', sa.BigInteger(), nullable=False),
        sa.Column('keep', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE',
                                name=op.f('fk_care_spend_watch_member_id_members')),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_care_spend_watch')))
    op.create_table(
        'care_silence_watch',
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('last_visit_on', sa.Date(), nullable=False),
        sa.Column('cadence_days', sa.Integer(), nullable=False),
        sa.Column('alarm_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE',
                                name=op.f('fk_care_silence_watch_member_id_members')),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_care_silence_watch')))
    op.create_index(op.f('ix_care_silence_watch_alarm_on'), 'care_silence_watch',
                    ['alarm_on'], unique=False)
    if op.get_bind().dialect.name != "sqlite":
        return  # the centre builds no care lists
    for name, event, table, members in _TRIGGERS:
        body = " ".join(_MARK.format(m) + ";" for m in members)
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                   f"WHEN {_WATCHING} BEGIN {body} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, *_ in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index(op.f('ix_care_silence_watch_alarm_on'), table_name='care_silence_watch')
    op.drop_table('care_silence_watch')
    op.drop_table('care_spend_watch')
    op.drop_table('care_dirty_members')
