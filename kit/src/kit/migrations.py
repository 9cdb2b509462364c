"""Alembic, async, shared by every service: each service's ``migrations/env.py`` is two lines
that call ``run_env`` with its metadata."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from kit.db import kit_metadata


def alembic_config(package: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.attributes["database_url"] = database_url
    return config


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    """Blocking: alembic's env runs its own event loop (call through ``asyncio.to_thread``)."""
    command.upgrade(alembic_config(package, database_url), revision)


def run_env(service_metadata: MetaData, default_url: str) -> None:
    """Body of every service's env.py (offline SQL or online async upgrade)."""
    url = context.config.attributes.get("database_url") or default_url
    target = [service_metadata, kit_metadata]

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(online())


# Operations for the services' migration histories, written once. They are frozen copies of
# the tables as first released: a later change to a kit table needs a new operation here.


def create_messaging_tables() -> None:
    """The outbox and inbox that every service database carries (each service's first migration)."""
    now = sa.text("now()")
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handler", sa.String(length=200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("event_id", "handler"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("routing_key", sa.String(length=200), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index(
        "ix_outbox_unsent", "outbox", ["id"], unique=False, postgresql_where=sa.text("sent_at IS NULL")
    )


def drop_messaging_tables() -> None:
    op.drop_index("ix_outbox_unsent", table_name="outbox", postgresql_where=sa.text("sent_at IS NULL"))
    op.drop_table("outbox")
    op.drop_table("inbox")


def create_citizens_table() -> None:
    """The citizens read model of ``kit.readmodel``."""
    op.create_table(
        "citizens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("tax_code", sa.String(length=16), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index(op.f("ix_citizens_tax_code"), "citizens", ["tax_code"], unique=False)


def drop_citizens_table() -> None:
    op.drop_index(op.f("ix_citizens_tax_code"), table_name="citizens")
    op.drop_table("citizens")


def create_scheduled_jobs_table() -> None:
    """The schedule of ``kit.jobs`` (every service database carries it)."""
    op.create_table(
        "scheduled_jobs",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_succeeded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("runs", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("failures", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def drop_scheduled_jobs_table() -> None:
    op.drop_table("scheduled_jobs")


def add_read_model_version(table: str) -> None:
    """The version column of ``kit.readmodel.apply_newer`` on an existing read-model table."""
    op.add_column(
        table,
        sa.Column(
            "source_version",
            sa.DateTime(timezone=True),
            server_default=sa.text("'-infinity'"),
            nullable=False,
        ),
    )


def drop_read_model_version(table: str) -> None:
    op.drop_column(table, "source_version")


def add_citizens_details() -> None:
    """The personal details and residence columns of the citizens read model (identity v2)."""
    op.add_column("citizens", sa.Column("sex", sa.String(length=1), nullable=True))
    op.add_column("citizens", sa.Column("birth_date", sa.Date(), nullable=True))
    op.add_column("citizens", sa.Column("birth_place", sa.String(length=100), nullable=True))
    op.add_column("citizens", sa.Column("address_street", sa.String(length=200), nullable=True))
    op.add_column("citizens", sa.Column("address_number", sa.String(length=20), nullable=True))
    op.add_column("citizens", sa.Column("postcode", sa.String(length=10), nullable=True))
    op.add_column("citizens", sa.Column("municipality", sa.String(length=100), nullable=True))
    op.add_column("citizens", sa.Column("phone", sa.String(length=30), nullable=True))


def drop_citizens_details() -> None:
    for column in (
        "sex",
        "birth_date",
        "birth_place",
        "address_street",
        "address_number",
        "postcode",
        "municipality",
        "phone",
    ):
        op.drop_column("citizens", column)


def create_audit_table() -> None:
    """The operators' decision trail of ``kit.audit``."""
    op.create_table(
        "audit_trail",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("actor_email", sa.String(length=320), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_trail_subject_id"), "audit_trail", ["subject_id"], unique=False)


def add_audit_sequence() -> None:
    """The trail's order of writing (entries of one transaction share their time); rows
    already there are numbered as PostgreSQL adds the column."""
    op.add_column("audit_trail", sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False))


def drop_audit_sequence() -> None:
    op.drop_column("audit_trail", "seq")


def drop_audit_table() -> None:
    op.drop_index(op.f("ix_audit_trail_subject_id"), table_name="audit_trail")
    op.drop_table("audit_trail")


def create_documents_table() -> None:
    """The uploaded documents of ``kit.documents`` (``documents_table``)."""
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("filename", sa.String(length=150), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_documents_owner_id"), "documents", ["owner_id"], unique=False)


def drop_documents_table() -> None:
    op.drop_index(op.f("ix_documents_owner_id"), table_name="documents")
    op.drop_table("documents")
