"""Read models: what a service keeps of other services' data, fed by their events.

Events can arrive in any order (retries go through delay queues, prefetch is above one), so
every read-model write goes through ``apply_newer``: a row keeps the state of the newest event
that touched it, whatever the delivery order.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, Date, DateTime, MetaData, String, Table, Uuid, case, func, literal_column
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope
from contracts.events import ProfileChanged, ProfileChangedV2, UserRegistered, UserRegisteredV2
from kit.consumer import EventHandlers

# The column where a read-model row records the time of the event its state comes from.
VERSION_COLUMN = "source_version"


def version_column() -> Column[datetime]:
    return Column(
        VERSION_COLUMN,
        DateTime(timezone=True),
        nullable=False,
        server_default=literal_column("'-infinity'"),
    )


async def apply_newer(
    session: AsyncSession,
    table: Table,
    *,
    key: Mapping[str, Any],
    version: datetime,
    state: Mapping[str, Any],
    facts: Mapping[str, Any] | None = None,
) -> None:
    """Insert the row of ``key`` or bring it up to date, in one statement (race-free).

    ``state`` columns change over an entity's life (a status, a profile): they are written only
    when ``version`` is newer than the row's. ``facts`` never change once known (who owns it,
    what it is): they fill in whatever the row still lacks, in any order. An event that arrives
    before the one creating the entity leaves a partial row that the later one completes.
    """
    facts = dict(facts or {})
    statement = insert(table).values(**key, **facts, **state, **{VERSION_COLUMN: version})
    excluded = statement.excluded
    current = table.c[VERSION_COLUMN]
    newer = current < excluded[VERSION_COLUMN]
    updates: dict[str, Any] = {name: case((newer, excluded[name]), else_=table.c[name]) for name in state}
    updates.update({name: func.coalesce(table.c[name], excluded[name]) for name in facts})
    updates[VERSION_COLUMN] = func.greatest(current, excluded[VERSION_COLUMN])
    if "updated_at" in table.c:
        updates["updated_at"] = func.now()
    await session.exec(statement.on_conflict_do_update(index_elements=list(key), set_=updates))


def citizens_table(metadata: MetaData) -> Table:
    return Table(
        "citizens",
        metadata,
        Column("user_id", Uuid, primary_key=True),
        Column("email", String(320), nullable=False),
        Column("tax_code", String(16), nullable=False, index=True),
        Column("first_name", String(100), nullable=False),
        Column("last_name", String(100), nullable=False),
        # Personal details and residence (identity's v2 events): printed on documents.
        Column("sex", String(1)),
        Column("birth_date", Date),
        Column("birth_place", String(100)),
        Column("address_street", String(200)),
        Column("address_number", String(20)),
        Column("postcode", String(10)),
        Column("municipality", String(100)),
        Column("phone", String(30)),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        version_column(),
    )


CITIZEN_DETAILS = (
    "sex",
    "birth_date",
    "birth_place",
    "address_street",
    "address_number",
    "postcode",
    "municipality",
    "phone",
)


class CitizenSummary(BaseModel):
    """A citizen as operators' queues show them (from the citizens read model)."""

    first_name: str
    last_name: str
    tax_code: str
    email: str


class CitizenDetails(CitizenSummary):
    """The citizen's personal details and residence, from the read model fed by identity."""

    user_id: uuid.UUID
    sex: str | None
    birth_date: date | None
    birth_place: str | None
    address_street: str | None
    address_number: str | None
    postcode: str | None
    municipality: str | None
    phone: str | None


def keep_citizens(handlers: EventHandlers, table: Table) -> None:
    """Register the handlers that keep ``table`` in step with identity (both versions of its
    events: v1 may still be in flight while identity moves to v2)."""

    async def apply(
        session: AsyncSession, event: UserRegistered | ProfileChanged, envelope: Envelope
    ) -> None:
        state = {
            "email": event.email,
            "tax_code": event.tax_code,
            "first_name": event.first_name,
            "last_name": event.last_name,
        }
        if isinstance(event, UserRegisteredV2 | ProfileChangedV2):
            state.update({name: getattr(event, name) for name in CITIZEN_DETAILS})
        await apply_newer(
            session, table, key={"user_id": event.user_id}, version=envelope.occurred_at, state=state
        )

    handlers.add(UserRegistered, f"{table.name}.user_registered", apply)
    handlers.add(ProfileChanged, f"{table.name}.profile_changed", apply)
    handlers.add(UserRegisteredV2, f"{table.name}.user_registered.v2", apply)
    handlers.add(ProfileChangedV2, f"{table.name}.profile_changed.v2", apply)
