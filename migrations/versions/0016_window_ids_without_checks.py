"""window ids without per-row checks: keyed by (run_id, join_id), no foreign keys, no surrogate id

A 1M-row window stores 1M ids; on PostgreSQL the two foreign keys' per-row checks were 7 s of the 12 s
COPY, and the surrogate id's sequence and index most of the rest. Runs and monitors are never deleted by
the service, so the cascades never ran; the ids of a window past its label horizon are deleted by
`forget_final_windows`, as before.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Two label passes adopting one window at once could store its ids twice; the new key allows one.
    op.execute(
        "DELETE FROM window_ids WHERE id NOT IN (SELECT MIN(id) FROM window_ids GROUP BY run_id, join_id)"
    )
    with op.batch_alter_table("window_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_window_ids_run_id"))
        batch_op.drop_constraint(batch_op.f("fk_window_ids_run_id_runs"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_window_ids_monitor_id_monitors"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("pk_window_ids"), type_="primary")
        batch_op.drop_column("id")
        batch_op.create_primary_key(batch_op.f("pk_window_ids"), ["run_id", "join_id"])


def downgrade() -> None:
    with op.batch_alter_table("window_ids", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_window_ids"), type_="primary")
    # The surrogate id comes back numbered in (run, id) order.
    op.rename_table("window_ids", "window_ids_0016")
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
    op.drop_index("ix_window_ids_monitor_join", table_name="window_ids_0016")
    op.execute(
        "INSERT INTO window_ids (run_id, monitor_id, join_id) "
        "SELECT w.run_id, w.monitor_id, w.join_id FROM window_ids_0016 w "
        "JOIN runs r ON r.id = w.run_id JOIN monitors m ON m.id = w.monitor_id ORDER BY w.run_id, w.join_id"
    )
    op.drop_table("window_ids_0016")
    with op.batch_alter_table("window_ids", schema=None) as batch_op:
        batch_op.create_index("ix_window_ids_monitor_join", ["monitor_id", "join_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_window_ids_run_id"), ["run_id"], unique=False)
