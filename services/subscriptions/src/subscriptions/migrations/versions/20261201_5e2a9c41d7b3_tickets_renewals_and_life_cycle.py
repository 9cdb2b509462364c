"""tickets (serials, signing keys, issued tokens), renewals, reminders, expiry and revocation

Revision ID: 5e2a9c41d7b3
Revises: 033a5f0fe444
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5e2a9c41d7b3"
down_revision: str | None = "033a5f0fe444"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_serial_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "ticket_keys",
        sa.Column("kid", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("public_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("private_key_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activates_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid"),
    )

    # Subscriptions: the ticket's serial (existing ones numbered by activation, per year of
    # activation in Caserta, and the counters set after them), expiry, revocation, reminders.
    op.add_column("subscriptions", sa.Column("serial", sqlmodel.sql.sqltypes.AutoString(length=20)))
    op.execute(
        """
        WITH numbered AS (
            SELECT id,
                   extract(year FROM activated_at AT TIME ZONE 'Europe/Rome')::int AS year,
                   row_number() OVER (
                       PARTITION BY extract(year FROM activated_at AT TIME ZONE 'Europe/Rome')
                       ORDER BY activated_at, id
                   ) AS number
            FROM subscriptions
        )
        UPDATE subscriptions SET serial = 'CE-' || numbered.year || '-' || lpad(numbered.number::text, 6, '0')
        FROM numbered WHERE numbered.id = subscriptions.id
        """
    )
    op.execute(
        """
        INSERT INTO ticket_serial_counters (year, last_number)
        SELECT extract(year FROM activated_at AT TIME ZONE 'Europe/Rome')::int, count(*)
        FROM subscriptions GROUP BY 1
        """
    )
    op.alter_column("subscriptions", "serial", nullable=False)
    op.create_index("uq_subscriptions_serial", "subscriptions", ["serial"], unique=True)
    op.add_column("subscriptions", sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "subscriptions",
        sa.Column("revoked_reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    )
    op.add_column("subscriptions", sa.Column("reminded_30_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("subscriptions", sa.Column("reminded_7_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint("ck_subscriptions_status", "subscriptions", type_="check")
    op.create_check_constraint(
        "ck_subscriptions_status", "subscriptions", "status IN ('active', 'expired', 'revoked')"
    )
    op.create_index("ix_subscriptions_plate", "subscriptions", ["plate", "valid_from"], unique=False)
    op.create_index("ix_subscriptions_plate_id", "subscriptions", ["plate_id"], unique=False)
    op.create_index(
        "ix_subscriptions_running",
        "subscriptions",
        ["valid_until"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )

    op.create_table(
        "tickets",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["kid"], ["ticket_keys.kid"]),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"]),
        sa.PrimaryKeyConstraint("subscription_id"),
    )
    op.create_index(op.f("ix_tickets_kid"), "tickets", ["kid"], unique=False)

    # Requests: renewals ("Rinnova") and the subscription they continue.
    op.add_column("subscription_requests", sa.Column("renewal_of", sa.Uuid(), nullable=True))
    op.drop_constraint("ck_subscription_requests_kind", "subscription_requests", type_="check")
    op.create_check_constraint(
        "ck_subscription_requests_kind",
        "subscription_requests",
        "kind IN ('resident', 'electric', 'renewal')",
    )

    # The plates' read model: when the association ended (for a plate already dissociated, the
    # time of the newest event it kept: its dissociation's).
    op.add_column("citizen_plates", sa.Column("dissociated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE citizen_plates SET dissociated_at = source_version "
        "WHERE NOT active AND source_version > '-infinity'"
    )


def downgrade() -> None:
    op.drop_column("citizen_plates", "dissociated_at")
    op.execute("UPDATE subscription_requests SET kind = 'resident' WHERE kind = 'renewal'")
    op.drop_constraint("ck_subscription_requests_kind", "subscription_requests", type_="check")
    op.create_check_constraint(
        "ck_subscription_requests_kind", "subscription_requests", "kind IN ('resident', 'electric')"
    )
    op.drop_column("subscription_requests", "renewal_of")
    op.drop_index(op.f("ix_tickets_kid"), table_name="tickets")
    op.drop_table("tickets")
    op.drop_index(
        "ix_subscriptions_running", table_name="subscriptions", postgresql_where=sa.text("status = 'active'")
    )
    op.drop_index("ix_subscriptions_plate_id", table_name="subscriptions")
    op.drop_index("ix_subscriptions_plate", table_name="subscriptions")
    op.execute("UPDATE subscriptions SET status = 'active' WHERE status = 'expired'")
    op.drop_constraint("ck_subscriptions_status", "subscriptions", type_="check")
    op.create_check_constraint("ck_subscriptions_status", "subscriptions", "status IN ('active', 'revoked')")
    op.drop_column("subscriptions", "reminded_7_at")
    op.drop_column("subscriptions", "reminded_30_at")
    op.drop_column("subscriptions", "revoked_reason")
    op.drop_column("subscriptions", "expired_at")
    op.drop_index("uq_subscriptions_serial", table_name="subscriptions")
    op.drop_column("subscriptions", "serial")
    op.drop_table("ticket_keys")
    op.drop_table("ticket_serial_counters")
