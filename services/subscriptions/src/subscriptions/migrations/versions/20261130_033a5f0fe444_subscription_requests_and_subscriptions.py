"""subscription types, requests, subscriptions, payments and audit

Revision ID: 033a5f0fe444
Revises: 8caeaecb84d4
Create Date: 2026-11-30 03:02:33.670811
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from kit.migrations import create_audit_table, drop_audit_table

revision: str = "033a5f0fe444"
down_revision: str | None = "8caeaecb84d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The exclusion constraint on subscriptions compares plates (=) and periods (&&) in one GiST
    # index: btree_gist gives GiST the equality of plain columns. A trusted extension since
    # PostgreSQL 13: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    create_audit_table()
    op.create_table(
        "subscription_payments",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("payment_order_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("receipt_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("refund_reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.CheckConstraint("outcome IN ('activated', 'refund_due')", name="ck_subscription_payments_outcome"),
        sa.PrimaryKeyConstraint("payment_id"),
    )
    op.create_index(
        op.f("ix_subscription_payments_request_id"), "subscription_payments", ["request_id"], unique=False
    )
    op.create_table(
        "subscription_types",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "sector_codes",
            postgresql.ARRAY(sa.String(length=20)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("all_sectors", sa.Boolean(), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("vat_rate", sa.Numeric(precision=5, scale=2), server_default="22", nullable=False),
        sa.Column("renewable", sa.Boolean(), nullable=False),
        sa.Column("electric_only", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("duration_months >= 1", name="ck_subscription_types_duration"),
        sa.CheckConstraint("price_cents >= 0", name="ck_subscription_types_price"),
        sa.CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="ck_subscription_types_vat_rate"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "subscription_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("certification_id", sa.Uuid(), nullable=True),
        sa.Column("plate_id", sa.Uuid(), nullable=False),
        sa.Column("plate", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("sector_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sector_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("subscription_type_code", sa.String(length=40), nullable=False),
        sa.Column("subscription_type_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("vat_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("pay_by", sa.Date(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('resident', 'electric')", name="ck_subscription_requests_kind"),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'paid', 'expired_unpaid', 'refund_due')",
            name="ck_subscription_requests_status",
        ),
        sa.CheckConstraint("valid_until >= valid_from", name="ck_subscription_requests_period"),
        sa.ForeignKeyConstraint(
            ["subscription_type_code"],
            ["subscription_types.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_subscription_requests_awaiting_payment",
        "subscription_requests",
        ["pay_by"],
        unique=False,
        postgresql_where=sa.text("status = 'approved'"),
    )
    op.create_index(
        "ix_subscription_requests_queue", "subscription_requests", ["status", "submitted_at"], unique=False
    )
    op.create_index(
        "ix_subscription_requests_user", "subscription_requests", ["user_id", "submitted_at"], unique=False
    )
    op.create_index(
        "uq_subscription_requests_open_plate",
        "subscription_requests",
        ["plate"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("plate_id", sa.Uuid(), nullable=False),
        sa.Column("plate", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("sector_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sector_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("subscription_type_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subscription_type_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        postgresql.ExcludeConstraint(
            (sa.literal_column("plate"), "="),
            (sa.literal_column("daterange(valid_from, valid_until, '[]')"), "&&"),
            where=sa.text("status <> 'revoked'"),
            using="gist",
            name="ex_subscriptions_plate_period",
        ),
        sa.CheckConstraint("status IN ('active', 'revoked')", name="ck_subscriptions_status"),
        sa.CheckConstraint("valid_until >= valid_from", name="ck_subscriptions_period"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subscription_requests.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_subscriptions_user", "subscriptions", ["user_id", "valid_from"], unique=False)
    op.create_index("uq_subscriptions_request_id", "subscriptions", ["request_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_subscriptions_request_id", table_name="subscriptions")
    op.drop_index("ix_subscriptions_user", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index(
        "uq_subscription_requests_open_plate",
        table_name="subscription_requests",
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )
    op.drop_index("ix_subscription_requests_user", table_name="subscription_requests")
    op.drop_index("ix_subscription_requests_queue", table_name="subscription_requests")
    op.drop_index(
        "ix_subscription_requests_awaiting_payment",
        table_name="subscription_requests",
        postgresql_where=sa.text("status = 'approved'"),
    )
    op.drop_table("subscription_requests")
    op.drop_table("subscription_types")
    op.drop_index(op.f("ix_subscription_payments_request_id"), table_name="subscription_payments")
    op.drop_table("subscription_payments")
    drop_audit_table()
