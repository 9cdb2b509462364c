"""scheduled jobs, read-model versions, citizens' personal details

Revision ID: db171ac168e0
Revises: 6858b92e11cc
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

from kit.migrations import (
    add_citizens_details,
    add_read_model_version,
    create_scheduled_jobs_table,
    drop_citizens_details,
    drop_read_model_version,
    drop_scheduled_jobs_table,
)

revision: str = "db171ac168e0"
down_revision: str | None = "6858b92e11cc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_scheduled_jobs_table()
    add_read_model_version("citizens")
    add_citizens_details()


def downgrade() -> None:
    drop_citizens_details()
    drop_read_model_version("citizens")
    drop_scheduled_jobs_table()
