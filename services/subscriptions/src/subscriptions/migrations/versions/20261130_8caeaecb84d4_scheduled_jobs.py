"""scheduled jobs and read-model versions

Revision ID: 8caeaecb84d4
Revises: 292fb149fc8c
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

from alembic import op

from kit.migrations import (
    add_read_model_version,
    create_scheduled_jobs_table,
    drop_read_model_version,
    drop_scheduled_jobs_table,
)

revision: str = "8caeaecb84d4"
down_revision: str | None = "292fb149fc8c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_scheduled_jobs_table()
    add_read_model_version("citizen_certifications")
    add_read_model_version("citizen_plates")
    # Facts arrive with the approval; an expiry or dissociation delivered first leaves them empty.
    for column in ("sector_name", "valid_from", "valid_until"):
        op.alter_column("citizen_certifications", column, nullable=True)
    for column in ("make", "model", "electric"):
        op.alter_column("citizen_plates", column, nullable=True)


def downgrade() -> None:
    drop_read_model_version("citizen_certifications")
    drop_read_model_version("citizen_plates")
    for column in ("sector_name", "valid_from", "valid_until"):
        op.alter_column("citizen_certifications", column, nullable=False)
    for column in ("make", "model", "electric"):
        op.alter_column("citizen_plates", column, nullable=False)
    drop_scheduled_jobs_table()
