"""estimates: performance estimated without labels (CBPE, DLE), per window and segment

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 07:31:01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "estimated_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(length=300), nullable=False),
        sa.Column("metric", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("sampling_error", sa.Float(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_estimated_metrics_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estimated_metrics")),
        sa.UniqueConstraint(
            "run_id", "segment", "metric", name=op.f("uq_estimated_metrics_run_id_segment_metric")
        ),
    )
    with op.batch_alter_table("estimated_metrics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_estimated_metrics_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("estimated_metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_estimated_metrics_run_id"))

    op.drop_table("estimated_metrics")
