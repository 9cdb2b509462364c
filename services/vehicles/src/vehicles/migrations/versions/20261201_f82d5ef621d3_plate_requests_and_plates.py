"""plate association requests, associated plates, their documents and the decisions' audit trail

Revision ID: f82d5ef621d3
Revises: fe7f9cdf47af
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kit.migrations import (
    create_audit_table,
    create_documents_table,
    drop_audit_table,
    drop_documents_table,
)

revision: str = "f82d5ef621d3"
down_revision: str | None = "fe7f9cdf47af"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_documents_table()
    create_audit_table()
    op.create_table(
        "plate_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("plate", sa.String(length=10), nullable=False),
        sa.Column("foreign", sa.Boolean(), nullable=False),
        sa.Column("make", sa.String(length=60), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("fuel", sa.String(length=20), nullable=False),
        sa.Column("owned", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("electric", sa.Boolean(), nullable=True),
        sa.Column("plate_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="ck_plate_requests_status"),
        sa.CheckConstraint(
            "fuel IN ('benzina', 'diesel', 'gpl', 'metano', 'ibrida', 'elettrica')",
            name="ck_plate_requests_fuel",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_plate_requests_user_id"), "plate_requests", ["user_id"], unique=False)
    op.create_index(
        "ix_plate_requests_status_submitted", "plate_requests", ["status", "submitted_at"], unique=False
    )
    op.create_index(
        "uq_plate_requests_pending_plate",
        "plate_requests",
        ["plate"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "plate_request_documents",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_plate_request_documents_document_id"
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["plate_requests.id"], name="fk_plate_request_documents_request_id"
        ),
        sa.PrimaryKeyConstraint("document_id"),
        sa.UniqueConstraint("request_id", "field", name="uq_plate_request_documents_field"),
    )
    op.create_table(
        "plates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("plate", sa.String(length=10), nullable=False),
        sa.Column("make", sa.String(length=60), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("electric", sa.Boolean(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("associated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dissociated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["plate_requests.id"], name="fk_plates_request_id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", name="uq_plates_request_id"),
    )
    op.create_index(op.f("ix_plates_user_id"), "plates", ["user_id"], unique=False)
    op.create_index(
        "uq_plates_active_plate",
        "plates",
        ["plate"],
        unique=True,
        postgresql_where=sa.text("dissociated_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_plates_active_plate", table_name="plates", postgresql_where=sa.text("dissociated_at IS NULL")
    )
    op.drop_index(op.f("ix_plates_user_id"), table_name="plates")
    op.drop_table("plates")
    op.drop_table("plate_request_documents")
    op.drop_index(
        "uq_plate_requests_pending_plate",
        table_name="plate_requests",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_plate_requests_status_submitted", table_name="plate_requests")
    op.drop_index(op.f("ix_plate_requests_user_id"), table_name="plate_requests")
    op.drop_table("plate_requests")
    drop_audit_table()
    drop_documents_table()
