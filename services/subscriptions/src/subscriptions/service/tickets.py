"""Tickets ("contrassegni") and enforcement: the PDF a citizen displays in the car, the published
keys that verify its QR code offline, and the operators' checks by plate or by the QR's token.

A subscription's ticket is issued once, on its first download: its token (``domain.tickets``)
is signed with the key signing then and kept, so every download prints the same ticket and a
printed one keeps verifying after a key rotation (its key stays published while the
subscription runs: ``domain.ticket_keys``). Only a revoked key (a leak) makes the next
download sign it anew.

Offline, a device can only check the signature and the dates: a revocation is known online,
by these checks (``check_plate``, ``verify_token``)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from kit.errors import Conflict, FieldError, Invalid
from subscriptions import repository, schemas
from subscriptions.domain import errors
from subscriptions.domain.periods import format_date, local_date
from subscriptions.domain.statuses import SubscriptionStatus, subscription_status, subscription_status_label
from subscriptions.domain.text import normalize_plate
from subscriptions.domain.tickets import (
    NOT_FOUND,
    TicketClaims,
    TicketInvalid,
    Verdict,
    invalid_verdict,
    revoked_verdict,
    sign_ticket,
    validity_verdict,
    verify_ticket,
)
from subscriptions.models import Subscription, Ticket
from subscriptions.runtime import Runtime
from subscriptions.service.views import revocation
from subscriptions.ticket_pdf import TicketView, ticket_pdf


@dataclass(frozen=True)
class TicketDocument:
    content: bytes
    filename: str


def ticket_not_available(subscription: Subscription, status: SubscriptionStatus) -> Conflict:
    if status is SubscriptionStatus.REVOKED:
        revoked_on, _ = revocation(subscription)
        when = f" il {format_date(revoked_on)}" if revoked_on else ""
        message = f"L'abbonamento è stato revocato{when}: il contrassegno non è più valido."
    else:
        message = (
            f"L'abbonamento è scaduto il {format_date(subscription.valid_until)}: "
            "il contrassegno non è più valido."
        )
    return Conflict("ticket_not_available", message)


def claims_of(subscription: Subscription, ticket: Ticket) -> TicketClaims:
    return TicketClaims(
        serial=subscription.serial,
        plate=subscription.plate,
        sector_code=subscription.sector_code,
        valid_from=subscription.valid_from,
        valid_until=subscription.valid_until,
        issued_at=ticket.issued_at,
    )


async def issued_ticket(session: AsyncSession, rt: Runtime, subscription: Subscription) -> Ticket:
    """The subscription's ticket: the one issued before, unless its key was revoked; else one
    signed now with the key signing now."""
    ticket = await repository.ticket_of(session, subscription.id)
    if ticket is not None and ticket.kid in await rt.ticket_keys.usable_kids(session):
        return ticket
    kid, private_key = await rt.ticket_keys.signer(session, rt.db)
    issued_at = rt.clock.now().replace(microsecond=0)
    claims = TicketClaims(
        serial=subscription.serial,
        plate=subscription.plate,
        sector_code=subscription.sector_code,
        valid_from=subscription.valid_from,
        valid_until=subscription.valid_until,
        issued_at=issued_at,
    )
    fresh = Ticket(
        subscription_id=subscription.id,
        kid=kid,
        token=sign_ticket(claims, kid=kid, private_key=private_key),
        issued_at=issued_at,
    )
    return await repository.save_ticket(session, fresh, replacing_kid=ticket.kid if ticket else None)


async def ticket_document(
    session: AsyncSession, rt: Runtime, user: Principal, subscription_id: uuid.UUID
) -> TicketDocument:
    """The ticket as PDF, for the subscription's citizen and for operators; only while the
    subscription is neither revoked nor ended (409 ``ticket_not_available``)."""
    subscription = await repository.subscription(session, subscription_id)
    if subscription is None or (not user.is_staff and subscription.user_id != user.user_id):
        raise errors.subscription_not_found()
    today = local_date(rt.clock.now())
    status = subscription_status(subscription.status, subscription.valid_until, today)
    if status is not SubscriptionStatus.ACTIVE:
        raise ticket_not_available(subscription, status)
    ticket = await issued_ticket(session, rt, subscription)
    view = TicketView.of(
        claims_of(subscription, ticket),
        sector_name=subscription.sector_name,
        type_name=subscription.subscription_type_name,
        token=ticket.token,
    )
    content = await asyncio.to_thread(ticket_pdf, view)
    return TicketDocument(content, f"contrassegno-{subscription.serial}.pdf")


async def keys_document(session: AsyncSession, rt: Runtime) -> dict[str, Any]:
    return await rt.ticket_keys.document(session)


# Enforcement.


def _found(subscription: Subscription, today: date) -> schemas.EnforcementSubscription:
    status = subscription_status(subscription.status, subscription.valid_until, today)
    revoked_on, revoked_reason = revocation(subscription)
    return schemas.EnforcementSubscription(
        id=subscription.id,
        serial=subscription.serial,
        plate=subscription.plate,
        sector_code=subscription.sector_code,
        sector_name=subscription.sector_name,
        subscription_type_code=subscription.subscription_type_code,
        subscription_type_name=subscription.subscription_type_name,
        valid_from=subscription.valid_from,
        valid_until=subscription.valid_until,
        status=status.value,
        status_label=subscription_status_label(status, subscription.valid_from, today),
        revoked_on=revoked_on,
        revoked_reason=revoked_reason,
    )


def _verdict(subscription: Subscription, today: date) -> Verdict:
    revoked_on, _ = revocation(subscription)
    if revoked_on is not None:
        return revoked_verdict(revoked_on)
    return validity_verdict(subscription.valid_from, subscription.valid_until, today)


def _relevant(subscriptions: list[Subscription], today: date) -> Subscription | None:
    """The subscription that answers for the plate today: one covering today and not revoked;
    else one revoked while it covered today; else the next to start; else the last ended."""
    counting = [s for s in subscriptions if s.status != SubscriptionStatus.REVOKED]
    covering = [s for s in counting if s.valid_from <= today <= s.valid_until]
    if covering:
        return covering[0]
    revoked = [s for s in subscriptions if s not in counting and s.valid_from <= today <= s.valid_until]
    if revoked:
        return max(revoked, key=lambda s: s.revoked_at or s.activated_at)
    upcoming = [s for s in counting if s.valid_from > today]
    if upcoming:
        return min(upcoming, key=lambda s: s.valid_from)
    ended = [s for s in subscriptions if s.valid_until < today]
    return max(ended, key=lambda s: (s.valid_until, s.activated_at), default=None)


def _check(
    today: date,
    plate: str | None,
    subscription: Subscription | None,
    verdict: Verdict,
    ticket: schemas.TicketFacts | None = None,
) -> schemas.EnforcementCheck:
    return schemas.EnforcementCheck(
        checked_on=today,
        plate=plate,
        valid=verdict.valid,
        outcome=verdict.outcome.value,
        outcome_label=verdict.label,
        subscription=_found(subscription, today) if subscription is not None else None,
        ticket=ticket,
    )


async def check_plate(session: AsyncSession, rt: Runtime, plate: str) -> schemas.EnforcementCheck:
    """Whether a subscription covers the plate today (Europe/Rome), in which sector, until when."""
    number = normalize_plate(plate)
    if number is None:
        raise Invalid([FieldError("plate", "plate_invalid", "Indica una targa valida (ad esempio AB123CD).")])
    today = local_date(rt.clock.now())
    subscription = _relevant(await repository.every_subscription_of_plate(session, number), today)
    if subscription is None:
        return _check(today, number, None, NOT_FOUND)
    return _check(today, number, subscription, _verdict(subscription, today))


async def verify_token(session: AsyncSession, rt: Runtime, token: str) -> schemas.EnforcementCheck:
    """A ticket's QR code: its signature (any key not revoked), then its subscription today."""
    today = local_date(rt.clock.now())
    try:
        verified = verify_ticket(token, await rt.ticket_keys.public_keys(session))
    except TicketInvalid as refusal:
        return _check(today, None, None, invalid_verdict(refusal))
    claims = verified.claims
    facts = schemas.TicketFacts(
        kid=verified.kid,
        serial=claims.serial,
        plate=claims.plate,
        sector_code=claims.sector_code,
        valid_from=claims.valid_from,
        valid_until=claims.valid_until,
        issued_at=claims.issued_at,
    )
    subscription = await repository.subscription_by_serial(session, claims.serial)
    if subscription is None:
        # Signed by us, but its subscription is unknown here: never valid on our word alone.
        return _check(today, claims.plate, None, NOT_FOUND, facts)
    return _check(today, claims.plate, subscription, _verdict(subscription, today), facts)
