"""sectors, certification requests, documents, audit trail

Revision ID: d1852ef58a53
Revises: 23377b8bf5f7
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from kit.migrations import (
    create_audit_table,
    create_documents_table,
    drop_audit_table,
    drop_documents_table,
)

revision: str = "d1852ef58a53"
down_revision: str | None = "23377b8bf5f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
PENDING = sa.text("status = 'pending'")
APPROVED = sa.text("status = 'approved'")


def upgrade() -> None:
    create_documents_table()
    create_audit_table()
    op.create_table(
        "sectors",
        sa.Column("code", AutoString(length=20), nullable=False),
        sa.Column("name", AutoString(length=120), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "streets", postgresql.ARRAY(sa.String(length=200)), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "certification_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sector_code", sa.String(length=20), nullable=False),
        sa.Column("sector_name", AutoString(length=120), nullable=False),
        sa.Column("status", AutoString(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("identity_document_id", sa.Uuid(), nullable=False),
        sa.Column("self_certification_document_id", sa.Uuid(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("certification_id", sa.Uuid(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'expired')",
            name="ck_certification_requests_status",
        ),
        sa.ForeignKeyConstraint(["sector_code"], ["sectors.code"]),
        sa.ForeignKeyConstraint(["identity_document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["self_certification_document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("certification_id"),
    )
    op.create_index(
        op.f("ix_certification_requests_user_id"), "certification_requests", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_certification_requests_sector_code"), "certification_requests", ["sector_code"], unique=False
    )
    # One pending request per citizen, whatever races: the index decides.
    op.create_index(
        "uq_certification_requests_pending",
        "certification_requests",
        ["user_id"],
        unique=True,
        postgresql_where=PENDING,
    )
    op.create_index(
        "ix_certification_requests_queue", "certification_requests", ["status", "submitted_at"], unique=False
    )
    op.create_index(
        "ix_certification_requests_approved_until",
        "certification_requests",
        ["valid_until"],
        unique=False,
        postgresql_where=APPROVED,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_certification_requests_approved_until",
        table_name="certification_requests",
        postgresql_where=APPROVED,
    )
    op.drop_index("ix_certification_requests_queue", table_name="certification_requests")
    op.drop_index(
        "uq_certification_requests_pending", table_name="certification_requests", postgresql_where=PENDING
    )
    op.drop_index(op.f("ix_certification_requests_sector_code"), table_name="certification_requests")
    op.drop_index(op.f("ix_certification_requests_user_id"), table_name="certification_requests")
    op.drop_table("certification_requests")
    op.drop_table("sectors")
    drop_audit_table()
    drop_documents_table()
