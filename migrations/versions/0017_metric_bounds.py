"""metric bounds: how far a metric computed from merged summaries (a Dask cluster's ROC and PR AUC,
from score histograms) may be from the value on the exact rows; NULL: exact

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 19:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("metric_values", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bound", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("metric_values", schema=None) as batch_op:
        batch_op.drop_column("bound")
