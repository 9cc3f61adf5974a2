"""purchases.receipt_no (unique per store: POS imports are idempotent); tiers carry their
care-plan flag, card template and points earn rate

Revision ID: d81c4e6f2a97
Revises: 9b4d7e2a6c51
Create Date: 2026-12-04 18:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd81c4e6f2a97'
down_revision: str | None = '9b4d7e2a6c51'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch (table copy) would drop the triggers on purchases.
    op.add_column('purchases', sa.Column('receipt_no', sa.String(length=64), nullable=True))
    op.create_index('ux_purchases_store_receipt', 'purchases', ['store_id', 'receipt_no'],
                    unique=True)
    op.add_column('tiers', sa.Column('in_care_plan', sa.Boolean(), nullable=False,
                                     server_default=sa.true()))
    op.add_column('tiers', sa.Column('card_template', sa.String(length=64), nullable=True))
    op.add_column('tiers', sa.Column('points_per_100_yuan', sa.Integer(), nullable=False,
                                     server_default='100'))


def downgrade() -> None:
    op.drop_column('tiers', 'points_per_100_yuan')
    op.drop_column('tiers', 'card_template')
    op.drop_column('tiers', 'in_care_plan')
    op.drop_index('ux_purchases_store_receipt', table_name='purchases')
    op.drop_column('purchases', 'receipt_no')
