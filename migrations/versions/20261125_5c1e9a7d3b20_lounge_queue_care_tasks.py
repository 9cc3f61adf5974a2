"""lounge queue, care tasks and templates, birthday month-day key and date indexes

Revision ID: 5c1e9a7d3b20
Revises: 12a780515517
Create Date: 2026-11-25 15:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vipdesk.models.base

revision: str = '5c1e9a7d3b20'
down_revision: str | None = '12a780515517'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = vipdesk.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('queue_entries',
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('store_id', sa.Uuid(), nullable=True),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('tier_code', sa.String(length=32), nullable=True),
    sa.Column('tier_rank', sa.Integer(), nullable=False),
    sa.Column('priority_booking', sa.Boolean(), nullable=False),
    sa.Column('appointment_at', UTC, nullable=True),
    sa.Column('arrived_at', UTC, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('called_at', UTC, nullable=True),
    sa.Column('advisor_id', sa.Uuid(), nullable=True),
    sa.Column('finished_at', UTC, nullable=True),
    sa.Column('added_by', sa.Uuid(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['staff.id'],
                            name=op.f('fk_queue_entries_added_by_staff')),
    sa.ForeignKeyConstraint(['advisor_id'], ['staff.id'],
                            name=op.f('fk_queue_entries_advisor_id_staff')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                            name=op.f('fk_queue_entries_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'],
                            name=op.f('fk_queue_entries_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_entries'))
    )
    op.create_index('ix_queue_entries_arrived', 'queue_entries', ['arrived_at'], unique=False)
    op.create_index(op.f('ix_queue_entries_member_id'), 'queue_entries', ['member_id'],
                    unique=False)
    op.create_index('ix_queue_entries_state_store', 'queue_entries', ['state', 'store_id'],
                    unique=False)
    op.create_table('care_tasks',
    sa.Column('id', sa.Uuid(), nullable=False),
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
                            name=op.f('fk_care_tasks_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_tasks')),
    sa.UniqueConstraint('task_key', name=op.f('uq_care_tasks_task_key'))
    )
    op.create_index(op.f('ix_care_tasks_member_id'), 'care_tasks', ['member_id'], unique=False)
    op.create_index('ix_care_tasks_open', 'care_tasks', ['closed_at', 'due_on'], unique=False)
    op.create_table('care_templates',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_templates'))
    )
    op.create_index('uq_care_templates_kind_lang', 'care_templates', ['kind', 'language'],
                    unique=True)
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birthday_md', sa.Integer(), nullable=True))
    _backfill_birthday_md()
    op.create_index('ix_members_birthday_md', 'members', ['birthday_md'], unique=False)
    op.create_index('ix_members_created_at', 'members', ['created_at'], unique=False)
    op.create_index('ix_purchases_occurred_at', 'purchases', ['occurred_at'], unique=False)
    op.create_index('ix_purchases_delivered_at', 'purchases', ['delivered_at'], unique=False)
    op.create_index('ix_visits_checked_in_at', 'visits', ['checked_in_at'], unique=False)
    op.create_index('ix_care_contacts_task_key', 'care_contacts', ['task_key'], unique=False)
    op.create_index('ix_tier_changes_created_at', 'tier_changes', ['created_at'], unique=False)


def _backfill_birthday_md() -> None:
    """Existing members get their key in one statement (SQLite stores dates as text)."""
    if op.get_bind().dialect.name == 'sqlite':
        expr = "CAST(strftime('%m%d', birthday) AS INTEGER)"
    else:
        expr = "CAST(EXTRACT(MONTH FROM birthday) * 100 + EXTRACT(DAY FROM birthday) AS INTEGER)"
    op.execute(f"UPDATE members SET birthday_md = {expr} WHERE birthday IS NOT NULL")


def downgrade() -> None:
    op.drop_index('ix_tier_changes_created_at', table_name='tier_changes')
    op.drop_index('ix_care_contacts_task_key', table_name='care_contacts')
    op.drop_index('ix_visits_checked_in_at', table_name='visits')
    op.drop_index('ix_purchases_delivered_at', table_name='purchases')
    op.drop_index('ix_purchases_occurred_at', table_name='purchases')
    op.drop_index('ix_members_created_at', table_name='members')
    op.drop_index('ix_members_birthday_md', table_name='members')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('birthday_md')
    op.drop_index('uq_care_templates_kind_lang', table_name='care_templates')
    op.drop_table('care_templates')
    op.drop_index('ix_care_tasks_open', table_name='care_tasks')
    op.drop_index(op.f('ix_care_tasks_member_id'), table_name='care_tasks')
    op.drop_table('care_tasks')
    op.drop_index('ix_queue_entries_state_store', table_name='queue_entries')
    op.drop_index(op.f('ix_queue_entries_member_id'), table_name='queue_entries')
    op.drop_index('ix_queue_entries_arrived', table_name='queue_entries')
    op.drop_table('queue_entries')
