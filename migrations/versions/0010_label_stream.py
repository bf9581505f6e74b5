"""label stream, data-time metric versions, metric judgements

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 03:19:43
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("join_id", sa.String(length=255), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("labelled_at", sa.DateTime(), nullable=False),
        sa.Column("pulled_through", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name=op.f("fk_labels_monitor_id_monitors"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels")),
        sa.UniqueConstraint("monitor_id", "join_id", name=op.f("uq_labels_monitor_id_join_id")),
    )
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.create_index("ix_labels_monitor_labelled", ["monitor_id", "labelled_at"], unique=False)

    op.create_table(
        "metric_judgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("coverage", sa.Float(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.Column("clears", sa.Integer(), nullable=False),
        sa.Column("judged_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_metric_judgements_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_metric_judgements_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_judgements")),
        sa.UniqueConstraint("fingerprint", "run_id", name=op.f("uq_metric_judgements_fingerprint_run_id")),
    )
    with op.batch_alter_table("metric_judgements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metric_judgements_fingerprint"), ["fingerprint"], unique=False)
        batch_op.create_index(batch_op.f("ix_metric_judgements_monitor_id"), ["monitor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_metric_judgements_run_id"), ["run_id"], unique=False)

    op.create_table(
        "window_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("join_id", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_window_ids_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_window_ids_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_ids")),
    )
    with op.batch_alter_table("window_ids", schema=None) as batch_op:
        batch_op.create_index("ix_window_ids_monitor_join", ["monitor_id", "join_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_window_ids_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("metric_values", schema=None) as batch_op:
        batch_op.add_column(sa.Column("labels_as_of", sa.DateTime(), nullable=True))

    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label_watermark", sa.DateTime(), nullable=True))

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("labels_as_of", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("labels_pulled_through", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("labels_pulled_through")
        batch_op.drop_column("labels_as_of")

    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.drop_column("label_watermark")

    with op.batch_alter_table("metric_values", schema=None) as batch_op:
        batch_op.drop_column("labels_as_of")

    with op.batch_alter_table("window_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_window_ids_run_id"))
        batch_op.drop_index("ix_window_ids_monitor_join")

    op.drop_table("window_ids")
    with op.batch_alter_table("metric_judgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_judgements_run_id"))
        batch_op.drop_index(batch_op.f("ix_metric_judgements_monitor_id"))
        batch_op.drop_index(batch_op.f("ix_metric_judgements_fingerprint"))

    op.drop_table("metric_judgements")
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.drop_index("ix_labels_monitor_labelled")

    op.drop_table("labels")
