"""run leases and retries; windows judged in order; ordered delivery of a group's notifications

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 22:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("next_retry_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("claim_reason", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("judged_through", sa.DateTime(), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ordering_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_ordering_key"), ["ordering_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_ordering_key"))
        batch_op.drop_column("ordering_key")
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.drop_column("judged_through")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("facts")
        batch_op.drop_column("claim_reason")
        batch_op.drop_column("next_retry_at")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claim_token")
