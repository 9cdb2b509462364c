"""The catalogue of subscription types: what citizens may choose (for a certification, when
they name one), the admins' management, and the seed from a data file."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.errors import FieldError, Invalid
from kit.pagination import Page, PageRequest, paginate
from kit.uow import flush_unique
from subscriptions import repository, schemas
from subscriptions.domain import errors
from subscriptions.domain.catalogue import TypeDraft, is_code, normalize_code, type_draft
from subscriptions.domain.eligibility import certification_errors
from subscriptions.domain.periods import local_date
from subscriptions.models import SubscriptionType
from subscriptions.runtime import Runtime
from subscriptions.service.views import type_admin_view, type_view


async def offered(
    session: AsyncSession,
    rt: Runtime,
    user_id: uuid.UUID,
    page: PageRequest,
    *,
    certification_id: uuid.UUID | None = None,
) -> Page[schemas.SubscriptionType]:
    """The active types; with a certification of the citizen's, only those its sector allows."""
    sector_code = None
    if certification_id is not None:
        certification = await repository.certification(session, certification_id)
        if problems := certification_errors(certification, user_id, local_date(rt.clock.now())):
            raise errors.refused(problems)
        assert certification is not None
        sector_code = certification.sector_code
    return await paginate(session, repository.types(active=True, sector_code=sector_code), page, type_view)


# Admins' catalogue.


async def catalogue(
    session: AsyncSession, page: PageRequest, *, active: bool | None = None
) -> Page[schemas.SubscriptionTypeAdmin]:
    return await paginate(session, repository.types(active=active), page, type_admin_view)


async def _existing(session: AsyncSession, code: str, *, for_update: bool = False) -> SubscriptionType:
    code = normalize_code(code)
    found = (
        await repository.subscription_type(session, code, for_update=for_update) if is_code(code) else None
    )
    if found is None:
        raise errors.type_code_not_found()
    return found


async def get(session: AsyncSession, code: str) -> schemas.SubscriptionTypeAdmin:
    return type_admin_view(await _existing(session, code))


def _draft(rt: Runtime, code: str, body: schemas.SubscriptionTypeFields) -> TypeDraft:
    return type_draft(
        code=code,
        name=body.name,
        description=body.description,
        sector_codes=body.sector_codes,
        all_sectors=body.all_sectors,
        duration_months=body.duration_months,
        price_cents=body.price_cents,
        vat_rate=rt.settings.default_vat_rate if body.vat_rate is None else body.vat_rate,
        renewable=body.renewable,
        electric_only=body.electric_only,
        active=body.active,
    )


def _apply(subscription_type: SubscriptionType, draft: TypeDraft) -> None:
    subscription_type.name = draft.name
    subscription_type.description = draft.description
    subscription_type.sector_codes = list(draft.sector_codes)
    subscription_type.all_sectors = draft.all_sectors
    subscription_type.duration_months = draft.duration_months
    subscription_type.price_cents = draft.price_cents
    subscription_type.vat_rate = draft.vat_rate
    subscription_type.renewable = draft.renewable
    subscription_type.electric_only = draft.electric_only
    subscription_type.active = draft.active


async def create(
    session: AsyncSession, rt: Runtime, body: schemas.SubscriptionTypeCreate
) -> schemas.SubscriptionTypeAdmin:
    draft = _draft(rt, body.code, body)
    if await repository.subscription_type(session, draft.code) is not None:
        raise errors.type_code_in_use()
    now = rt.clock.now()
    subscription_type = SubscriptionType(
        code=draft.code, duration_months=1, price_cents=0, vat_rate=Decimal(0), created_at=now, updated_at=now
    )
    _apply(subscription_type, draft)
    session.add(subscription_type)
    # Two admins creating the same code at once: the primary key decides.
    await flush_unique(session, {errors.TYPE_CODE_KEY: errors.type_code_in_use})
    return type_admin_view(subscription_type)


async def replace(
    session: AsyncSession, rt: Runtime, code: str, body: schemas.SubscriptionTypeUpdate
) -> schemas.SubscriptionTypeAdmin:
    """Every field as given; the code stays. Requests already sent keep the name, period and
    price they were sent with."""
    subscription_type = await _existing(session, code, for_update=True)
    _apply(subscription_type, _draft(rt, subscription_type.code, body))
    subscription_type.updated_at = rt.clock.now()
    session.add(subscription_type)
    await session.flush()
    return type_admin_view(subscription_type)


# Seed.


@dataclass(frozen=True)
class SeedResult:
    created: list[str]
    present: list[str]


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise Invalid([FieldError("vat_rate", "vat_rate_invalid", "Aliquota IVA non valida.")]) from None


def drafts_from(entries: Iterable[Mapping[str, Any]], default_vat_rate: Decimal) -> list[TypeDraft]:
    """The types of a data file, checked by the same rules as the admins' ones."""
    drafts = []
    for entry in entries:
        rate = _decimal(entry.get("vat_rate"))
        drafts.append(
            type_draft(
                code=str(entry.get("code", "")),
                name=str(entry.get("name", "")),
                description=entry.get("description"),
                sector_codes=[str(s) for s in entry.get("sector_codes", [])],
                all_sectors=bool(entry.get("all_sectors", False)),
                duration_months=int(entry.get("duration_months", 0)),
                price_cents=int(entry.get("price_cents", -1)),
                vat_rate=default_vat_rate if rate is None else rate,
                renewable=bool(entry.get("renewable", True)),
                electric_only=bool(entry.get("electric_only", False)),
                active=bool(entry.get("active", True)),
            )
        )
    return drafts


async def seed(session: AsyncSession, rt: Runtime, drafts: Sequence[TypeDraft]) -> SeedResult:
    """Insert the types whose code is missing; never touch one that exists (an admin may have
    changed its price). Running it again changes nothing."""
    now = rt.clock.now()
    created = []
    for draft in drafts:
        values = {
            "code": draft.code,
            "name": draft.name,
            "description": draft.description,
            "sector_codes": list(draft.sector_codes),
            "all_sectors": draft.all_sectors,
            "duration_months": draft.duration_months,
            "price_cents": draft.price_cents,
            "vat_rate": draft.vat_rate,
            "renewable": draft.renewable,
            "electric_only": draft.electric_only,
            "active": draft.active,
            "created_at": now,
            "updated_at": now,
        }
        if await repository.insert_type_if_missing(session, values):
            created.append(draft.code)
    return SeedResult(created=created, present=[d.code for d in drafts if d.code not in created])
