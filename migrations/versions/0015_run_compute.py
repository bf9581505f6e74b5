"""run compute: where a run's window was computed (backend, cluster address, workers) and its progress

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compute_backend", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("compute_address", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("compute_workers", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("partitions_total", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("partitions_done", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("partitions_done")
        batch_op.drop_column("partitions_total")
        batch_op.drop_column("compute_workers")
        batch_op.drop_column("compute_address")
        batch_op.drop_column("compute_backend")
