"""Sectors: the citizens' choices (active ones), the suggestion from the residence address, the
admins' catalogue management, and the seed from a data file."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from certification import repository, schemas
from certification.domain import errors
from certification.domain.form import address_line
from certification.domain.sectors import SectorDraft, is_code, normalize_code, sector_draft
from certification.domain.streets import SectorStreets, suggest_sector
from certification.models import Sector
from certification.runtime import Runtime
from certification.service.views import sector_admin_view, sector_view
from kit.pagination import Page, PageRequest, paginate
from kit.uow import flush_unique


async def active(session: AsyncSession, page: PageRequest) -> Page[schemas.Sector]:
    return await paginate(session, repository.sectors(active=True), page, sector_view)


async def suggested(session: AsyncSession, user_id: uuid.UUID) -> schemas.SectorSuggestion:
    """The one active sector whose streets cover the citizen's residence address, if any."""
    citizen = await repository.citizen(session, user_id)
    if citizen is None:
        return schemas.SectorSuggestion(sector=None, address=None)
    candidates = await repository.active_sectors(session)
    code = suggest_sector(
        citizen.get("address_street"),
        citizen.get("municipality"),
        [SectorStreets(s.code, s.streets) for s in candidates],
    )
    chosen = next((s for s in candidates if s.code == code), None)
    return schemas.SectorSuggestion(
        sector=sector_view(chosen) if chosen else None, address=address_line(citizen)
    )


# Admins' catalogue.


async def catalogue(
    session: AsyncSession, page: PageRequest, *, active: bool | None = None
) -> Page[schemas.SectorAdmin]:
    return await paginate(session, repository.sectors(active=active), page, sector_admin_view)


async def _existing(session: AsyncSession, code: str, *, for_update: bool = False) -> Sector:
    code = normalize_code(code)
    found = await repository.sector(session, code, for_update=for_update) if is_code(code) else None
    if found is None:
        raise errors.sector_not_found()
    return found


async def get(session: AsyncSession, code: str) -> schemas.SectorAdmin:
    return sector_admin_view(await _existing(session, code))


async def create(
    session: AsyncSession,
    rt: Runtime,
    *,
    code: str,
    name: str,
    description: str | None,
    streets: Sequence[str],
) -> schemas.SectorAdmin:
    draft = sector_draft(code, name, description, streets)
    if await repository.sector(session, draft.code) is not None:
        raise errors.sector_code_in_use()
    now = rt.clock.now()
    sector = Sector(
        code=draft.code,
        name=draft.name,
        description=draft.description,
        streets=list(draft.streets),
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(sector)
    # Two admins creating the same code at once: the primary key decides.
    await flush_unique(session, {errors.SECTOR_CODE_KEY: errors.sector_code_in_use})
    return sector_admin_view(sector)


async def update(
    session: AsyncSession,
    rt: Runtime,
    code: str,
    *,
    name: str | None = None,
    description: str | None = None,
    streets: Sequence[str] | None = None,
    active: bool | None = None,
) -> schemas.SectorAdmin:
    """Change what is given; the code stays. Requests already made keep the name they had."""
    sector = await _existing(session, code, for_update=True)
    draft = sector_draft(
        sector.code,
        sector.name if name is None else name,
        sector.description if description is None else description,
        list(sector.streets) if streets is None else streets,
    )
    sector.name = draft.name
    sector.description = draft.description
    sector.streets = list(draft.streets)
    if active is not None:
        sector.active = active
    sector.updated_at = rt.clock.now()
    session.add(sector)
    await session.flush()
    return sector_admin_view(sector)


async def set_active(session: AsyncSession, rt: Runtime, code: str, *, active: bool) -> schemas.SectorAdmin:
    """A deactivated sector is no longer offered to citizens; requests already made for it are
    still decided, and its certifications stay valid."""
    sector = await _existing(session, code, for_update=True)
    if sector.active != active:
        sector.active = active
        sector.updated_at = rt.clock.now()
        session.add(sector)
        await session.flush()
    return sector_admin_view(sector)


# Seed.


@dataclass(frozen=True)
class SeedResult:
    created: list[str]
    present: list[str]


def drafts_from(entries: Iterable[Mapping[str, Any]]) -> list[SectorDraft]:
    """The sectors of a data file, checked by the same rules as the admins' ones."""
    return [
        sector_draft(
            str(entry.get("code", "")),
            str(entry.get("name", "")),
            entry.get("description"),
            [str(street) for street in entry.get("streets", [])],
        )
        for entry in entries
    ]


async def seed(session: AsyncSession, rt: Runtime, drafts: Sequence[SectorDraft]) -> SeedResult:
    """Insert the sectors whose code is missing; never touch one that exists (an admin may
    have changed it). Running it again changes nothing."""
    now = rt.clock.now()
    created: list[str] = []
    for draft in drafts:
        inserted = await session.exec(
            insert(Sector)
            .values(
                code=draft.code,
                name=draft.name,
                description=draft.description,
                streets=list(draft.streets),
                active=True,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["code"])
            .returning(Sector.code)  # type: ignore[arg-type]
        )
        if inserted.first() is not None:
            created.append(draft.code)
    return SeedResult(created=created, present=[d.code for d in drafts if d.code not in created])
