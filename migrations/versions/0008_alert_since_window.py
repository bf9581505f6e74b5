"""the window in which an alert's condition began

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 00:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("since_window_start", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("since_window_end", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("since_window_end")
        batch_op.drop_column("since_window_start")
