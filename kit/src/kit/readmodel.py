"""The citizens read model that several services keep from identity's events (contact and
tax data for their own screens, invoices and e-mails)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope
from contracts.events import ProfileChanged, UserRegistered
from kit.consumer import EventHandlers


def citizens_table(metadata: MetaData) -> Table:
    return Table(
        "citizens",
        metadata,
        Column("user_id", Uuid, primary_key=True),
        Column("email", String(320), nullable=False),
        Column("tax_code", String(16), nullable=False, index=True),
        Column("first_name", String(100), nullable=False),
        Column("last_name", String(100), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def keep_citizens(handlers: EventHandlers, table: Table) -> None:
    """Register the handlers that keep ``table`` in step with identity (idempotent upserts)."""

    async def upsert(session: AsyncSession, event: UserRegistered | ProfileChanged, _: Envelope) -> None:
        values = {
            "user_id": event.user_id,
            "email": event.email,
            "tax_code": event.tax_code,
            "first_name": event.first_name,
            "last_name": event.last_name,
        }
        await session.exec(
            insert(table)
            .values(**values)
            .on_conflict_do_update(
                index_elements=[table.c.user_id], set_={**values, "updated_at": func.now()}
            )
        )

    upsert.__qualname__ = f"keep_citizens.{table.name}"
    handlers.on(UserRegistered)(upsert)
    handlers.on(ProfileChanged)(upsert)
