"""service ratings

Revision ID: 5e1a7c3d9b24
Revises: 143eba62286f
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5e1a7c3d9b24"
down_revision: str | None = "143eba62286f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_ratings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("page", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="ck_service_ratings_stars"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_service_ratings_created_at"), "service_ratings", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_service_ratings_created_at"), table_name="service_ratings")
    op.drop_table("service_ratings")
