"""segments: per-segment results of a window

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 06:05:05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "segment_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(length=300), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("labelled_count", sa.Integer(), nullable=False),
        sa.Column("drift_share", sa.Float(), nullable=True),
        sa.Column("dataset_drifted", sa.Boolean(), nullable=True),
        sa.Column("drifted_columns", sa.JSON(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("drift", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("health", sa.JSON(), nullable=False),
        sa.Column("quality", sa.JSON(), nullable=False),
        sa.Column("labels_as_of", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_segment_results_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_results")),
        sa.UniqueConstraint("run_id", "segment", name=op.f("uq_segment_results_run_id_segment")),
    )
    with op.batch_alter_table("segment_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_segment_results_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("segment_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_segment_results_run_id"))

    op.drop_table("segment_results")
