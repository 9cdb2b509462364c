"""scheduled jobs

Revision ID: 143eba62286f
Revises: 6c0b1c9ccb32
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

from kit.migrations import (
    create_scheduled_jobs_table,
    drop_scheduled_jobs_table,
)

revision: str = "143eba62286f"
down_revision: str | None = "6c0b1c9ccb32"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_scheduled_jobs_table()


def downgrade() -> None:
    drop_scheduled_jobs_table()
