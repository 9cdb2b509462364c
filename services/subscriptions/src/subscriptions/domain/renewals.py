"""Renewal ("Rinnova"): a new request prefilled from a subscription (its certification, plate and
type) for the period that starts the day after it ends, offered from a window before its end.

The rules, as a citizen renewing expects them:

- it is offered from ``window_days`` before the subscription's last day (``opens_on``) until
  that last day; a revoked or ended subscription is not renewed (a new request is);
- the type must still be on offer and renewable; the price and the duration are the type's
  today (the renewal is a new request: a price change concerns it);
- the plate must still be associated with the citizen (and, for a type for electric cars,
  certified electric); a dissociated plate's subscriptions are revoked (``service.lifecycle``),
  and their renewal is refused for that reason;
- the certification must be valid on the first day of the new period (not only today): a
  renewal whose certification lapses before it starts would be a subscription without a
  residency behind it. The subscription's own certification is taken when it is; otherwise
  another of the citizen's certifications of the same sector that is (a renewed
  certification), the one lasting longest. An electric subscription sent without a
  certification is renewed without one;
- the plate may not already be renewed (a subscription from the day after) nor have a
  request in progress.

Each refusal is a domain error with a stable code and an Italian message saying what to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from kit.errors import Conflict, DomainError, FieldError
from subscriptions.domain import errors
from subscriptions.domain.catalogue import allows_sector
from subscriptions.domain.eligibility import KnownCertification, KnownPlate, OfferedType, plate_errors
from subscriptions.domain.periods import Period, format_date
from subscriptions.domain.statuses import PLATE_DISSOCIATED, SubscriptionStatus, subscription_status


class RenewedSubscription(Protocol):
    id: uuid.UUID
    user_id: uuid.UUID
    plate_id: uuid.UUID
    plate: str
    sector_code: str
    subscription_type_code: str
    valid_from: date
    valid_until: date
    status: str
    revoked_reason: str | None


class RenewalType(OfferedType, Protocol):
    name: str
    duration_months: int
    price_cents: int
    renewable: bool


class Certification(KnownCertification, Protocol):
    certification_id: uuid.UUID


class OtherSubscription(Protocol):
    id: uuid.UUID
    plate: str
    valid_from: date
    valid_until: date


class OpenRequest(Protocol):
    plate: str
    valid_from: date
    renewal_of: uuid.UUID | None


@dataclass(frozen=True)
class Renewal:
    """What renewing would send, and why it cannot be sent now (``refusal``)."""

    opens_on: date
    certification_id: uuid.UUID | None
    plate_id: uuid.UUID
    subscription_type_code: str
    period: Period
    amount_cents: int
    refusal: DomainError | None

    @property
    def available(self) -> bool:
        return self.refusal is None


def opens_on(valid_until: date, window_days: int) -> date:
    return valid_until - timedelta(days=window_days)


def is_valid_on(certification: KnownCertification, user_id: uuid.UUID, day: date) -> bool:
    return (
        certification.user_id == user_id
        and not certification.expired
        and certification.sector_name is not None
        and certification.valid_from is not None
        and certification.valid_until is not None
        and certification.valid_from <= day <= certification.valid_until
    )


def renewal_certification(
    previous: Certification | None,
    certifications: Sequence[Certification],
    *,
    user_id: uuid.UUID,
    day: date,
) -> Certification | None:
    """The certification a renewal starting on ``day`` stands on: the previous one when it is
    valid that day, else, of ``certifications`` (the citizen's, of the same sector), the one
    valid that day that lasts longest."""
    if previous is not None and is_valid_on(previous, user_id, day):
        return previous
    candidates = [c for c in certifications if is_valid_on(c, user_id, day)]
    return max(candidates, key=lambda c: (c.valid_until, str(c.certification_id)), default=None)


# Refusals.


def subscription_revoked() -> Conflict:
    return Conflict(
        "subscription_revoked",
        "L'abbonamento è stato revocato e non può essere rinnovato: per un nuovo abbonamento "
        "usa «Nuova Richiesta».",
    )


def subscription_ended(valid_until: date) -> Conflict:
    return Conflict(
        "subscription_ended",
        f"L'abbonamento è scaduto il {format_date(valid_until)} e non può più essere rinnovato: "
        "per un nuovo abbonamento usa «Nuova Richiesta».",
    )


def renewal_not_open(day: date) -> Conflict:
    return Conflict("renewal_not_open", f"Il rinnovo sarà disponibile dal {format_date(day)}.")


def already_renewed(period: Period) -> Conflict:
    return Conflict("already_renewed", f"L'abbonamento è già stato rinnovato ({period.label}).")


def renewal_already_requested() -> Conflict:
    return Conflict(
        "renewal_already_requested",
        "Il rinnovo è già stato richiesto: segui la richiesta nella sezione «Richieste Abbonamenti».",
    )


def type_not_available() -> FieldError:
    return FieldError(
        "subscription_type_code",
        "subscription_type_not_found",
        "La tipologia di abbonamento non è più disponibile: scegline un'altra con «Nuova Richiesta».",
    )


def type_not_renewable(name: str) -> FieldError:
    return FieldError(
        "subscription_type_code",
        "subscription_type_not_renewable",
        f"La tipologia «{name}» non è rinnovabile: per un nuovo abbonamento usa «Nuova Richiesta».",
    )


def plate_dissociated(plate: str) -> FieldError:
    return FieldError(
        "plate_id",
        "plate_dissociated",
        f"La targa {plate} non è più associata al tuo profilo: il rinnovo non è possibile. Associala "
        "di nuovo dalla sezione «Targhe» e, una volta approvata, invia una nuova richiesta.",
    )


def certification_not_valid(start: date) -> FieldError:
    return FieldError(
        "certification_id",
        "certification_expired",
        f"La certificazione di residenza non è valida il {format_date(start)}, primo giorno del "
        "rinnovo: presenta una nuova richiesta di certificazione dalla sezione «Certificazione» e, "
        "una volta approvata, rinnova l'abbonamento.",
    )


def renewal(
    subscription: RenewedSubscription,
    *,
    today: date,
    window_days: int,
    subscription_type: RenewalType,
    previous_certification_id: uuid.UUID | None,
    certifications: Sequence[Certification],
    plate: KnownPlate | None,
    plate_subscriptions: Sequence[OtherSubscription],
    open_requests: Sequence[OpenRequest],
) -> Renewal:
    """What renewing ``subscription`` on ``today`` would send, or why it may not (the first
    reason that applies; the per-field ones all at once)."""
    start = subscription.valid_until + timedelta(days=1)
    period = Period.of_months(start, subscription_type.duration_months)
    certification = None
    if previous_certification_id is not None:
        previous = next((c for c in certifications if c.certification_id == previous_certification_id), None)
        sector = previous.sector_code if previous is not None else subscription.sector_code
        certification = renewal_certification(
            previous,
            [c for c in certifications if c.sector_code == sector],
            user_id=subscription.user_id,
            day=start,
        )
    opening = opens_on(subscription.valid_until, window_days)
    refusal = _refusal(
        subscription,
        today=today,
        opening=opening,
        period=period,
        subscription_type=subscription_type,
        needs_certification=previous_certification_id is not None,
        certification=certification,
        plate=plate,
        plate_subscriptions=plate_subscriptions,
        open_requests=open_requests,
    )
    return Renewal(
        opens_on=opening,
        certification_id=certification.certification_id if certification else previous_certification_id,
        plate_id=subscription.plate_id,
        subscription_type_code=subscription.subscription_type_code,
        period=period,
        amount_cents=subscription_type.price_cents,
        refusal=refusal,
    )


def _refusal(
    subscription: RenewedSubscription,
    *,
    today: date,
    opening: date,
    period: Period,
    subscription_type: RenewalType,
    needs_certification: bool,
    certification: Certification | None,
    plate: KnownPlate | None,
    plate_subscriptions: Sequence[OtherSubscription],
    open_requests: Sequence[OpenRequest],
) -> DomainError | None:
    status = subscription_status(subscription.status, subscription.valid_until, today)
    if status is SubscriptionStatus.REVOKED:
        if subscription.revoked_reason == PLATE_DISSOCIATED:
            return errors.refused([plate_dissociated(subscription.plate)])
        return subscription_revoked()
    if status is SubscriptionStatus.EXPIRED:
        return subscription_ended(subscription.valid_until)
    others = [s for s in plate_subscriptions if s.plate == subscription.plate and s.id != subscription.id]
    following = next((s for s in others if s.valid_from == period.valid_from), None)
    if following is not None:
        return already_renewed(Period(following.valid_from, following.valid_until))
    requests = [r for r in open_requests if r.plate == subscription.plate]
    if any(r.renewal_of == subscription.id for r in requests):
        return renewal_already_requested()
    if requests:
        return errors.plate_has_open_request()
    problems: list[FieldError] = []
    if not subscription_type.active:
        problems.append(type_not_available())
    elif not subscription_type.renewable:
        problems.append(type_not_renewable(subscription_type.name))
    plate_problems = plate_errors(plate, subscription.user_id)
    if plate_problems and plate_problems[0].code == "plate_dissociated":
        plate_problems = [plate_dissociated(subscription.plate)]
    problems += plate_problems
    if needs_certification and certification is None:
        problems.append(certification_not_valid(period.valid_from))
    if subscription_type.active and subscription_type.renewable:
        if certification is not None and not allows_sector(subscription_type, certification.sector_code):
            problems.append(errors.type_not_allowed(certification.sector_code))
        if not needs_certification and not subscription_type.all_sectors:
            refusal = errors.electric_type_needs_certification(subscription_type.sector_codes)
            problems += refusal.errors
        electric = plate is not None and not plate_problems and bool(plate.electric)
        if subscription_type.electric_only and plate is not None and not plate_problems and not electric:
            problems.append(errors.plate_not_electric())
    if problems:
        return errors.refused(problems)
    if today < opening:
        return renewal_not_open(opening)
    if any(Period(s.valid_from, s.valid_until).overlaps(period) for s in others):
        return errors.plate_has_subscription(period.label)
    return None
