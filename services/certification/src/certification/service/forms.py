"""The self-certification form a citizen downloads ("Scarica il modulo qui"), filled with the
details the citizens read model holds and the sector chosen."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from certification import repository
from certification.domain import errors
from certification.domain.form import self_certification_form
from certification.domain.sectors import is_code, normalize_code
from certification.domain.validity import local_date
from certification.pdf import self_certification_pdf
from certification.runtime import Runtime


@dataclass(frozen=True)
class FormFile:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


async def self_certification(
    session: AsyncSession, rt: Runtime, user_id: uuid.UUID, sector_code: str | None
) -> FormFile:
    """The form for ``sector_code`` (blank sector lines when None); a code that names no
    active sector is refused. Unknown personal details print as blank lines."""
    sector = None
    if sector_code is not None and sector_code.strip():
        code = normalize_code(sector_code)
        sector = await repository.sector(session, code) if is_code(code) else None
        if sector is None or not sector.active:
            raise errors.sector_not_found()
    citizen = await repository.citizen(session, user_id)
    form = self_certification_form(
        citizen,
        sector_code=sector.code if sector else None,
        sector_name=sector.name if sector else None,
        today=local_date(rt.clock.now()),
        municipality_office=rt.settings.municipality_office,
    )
    content = await asyncio.to_thread(self_certification_pdf, form)
    return FormFile(filename=form.filename, content=content)
