"""Alembic, async, shared by every service: each service's ``migrations/env.py`` is two lines
that call ``run_env`` with its metadata."""

from __future__ import annotations

import asyncio

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
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
