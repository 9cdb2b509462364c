"""invoices and their yearly counters

Revision ID: c4e1f7a92b60
Revises: 5b1d0a7c3e42
Create Date: 2026-11-30 04:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c4e1f7a92b60"
down_revision: str | None = "5b1d0a7c3e42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "invoice_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("number", _text(20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("file_number", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("buyer_kind", _text(10), nullable=False),
        sa.Column("buyer_first_name", _text(60), nullable=True),
        sa.Column("buyer_last_name", _text(60), nullable=True),
        sa.Column("buyer_company_name", _text(80), nullable=True),
        sa.Column("buyer_tax_code", _text(16), nullable=True),
        sa.Column("buyer_vat_number", _text(11), nullable=True),
        sa.Column("buyer_address_street", _text(60), nullable=False),
        sa.Column("buyer_address_number", _text(8), nullable=True),
        sa.Column("buyer_postcode", _text(5), nullable=False),
        sa.Column("buyer_municipality", _text(60), nullable=False),
        sa.Column("buyer_province", _text(2), nullable=False),
        sa.Column("buyer_country", _text(2), nullable=False),
        sa.Column("buyer_pec", _text(256), nullable=True),
        sa.Column("buyer_recipient_code", _text(7), nullable=False),
        sa.Column("description", _text(300), nullable=False),
        sa.Column("plate", _text(20), nullable=False),
        sa.Column("period", _text(60), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("net_cents", sa.Integer(), nullable=False),
        sa.Column("vat_cents", sa.Integer(), nullable=False),
        sa.Column("vat_rate_percent", sa.Integer(), nullable=False),
        sa.Column("currency", _text(3), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receipt_number", _text(20), nullable=True),
        sa.Column("iuv", _text(17), nullable=False),
        sa.Column("seller_name", _text(100), nullable=False),
        sa.Column("seller_tax_code", _text(11), nullable=False),
        sa.Column("seller_vat_number", _text(11), nullable=False),
        sa.Column("seller_address", _text(200), nullable=False),
        sa.Column("xml_filename", _text(40), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.CheckConstraint("buyer_kind IN ('person', 'company')", name="ck_invoices_buyer_kind"),
        sa.ForeignKeyConstraint(["order_id"], ["payment_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("file_number"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("order_id", name="uq_invoices_order_id"),
        sa.UniqueConstraint("year", "sequence", name="uq_invoices_year_sequence"),
    )
    op.create_index(op.f("ix_invoices_issued_at"), "invoices", ["issued_at"], unique=False)
    op.create_index(op.f("ix_invoices_user_id"), "invoices", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_invoices_user_id"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_issued_at"), table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("invoice_counters")
