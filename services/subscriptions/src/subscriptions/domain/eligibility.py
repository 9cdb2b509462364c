"""Who may request what: the citizen's certification and plate (from the read model), and the
chosen type against the certification's sector and the plate. Each broken rule is one
``FieldError``; the use case refuses with all of them at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from kit.errors import FieldError
from subscriptions.domain import errors
from subscriptions.domain.catalogue import ALL_SECTORS, ALL_SECTORS_NAME, SectorRule, allows_sector


class KnownCertification(Protocol):
    """A row of the certifications read model (``models.CitizenCertification``)."""

    user_id: uuid.UUID
    sector_code: str
    sector_name: str | None
    valid_from: date | None
    valid_until: date | None
    expired: bool


class KnownPlate(Protocol):
    """A row of the plates read model (``models.CitizenPlate``)."""

    user_id: uuid.UUID
    plate: str
    electric: bool | None
    active: bool


class OfferedType(SectorRule, Protocol):
    code: str
    active: bool
    electric_only: bool


def certification_errors(
    certification: KnownCertification | None, user_id: uuid.UUID, today: date
) -> list[FieldError]:
    """A certification is usable when it is the citizen's, its approval is known, it has not
    expired and today is within its validity."""
    if certification is None or certification.user_id != user_id:
        return [errors.certification_not_available()]
    if certification.expired or (certification.valid_until is not None and certification.valid_until < today):
        return [errors.certification_expired()]
    if (
        certification.sector_name is None
        or certification.valid_from is None
        or certification.valid_until is None
    ):
        return [errors.certification_not_available()]  # only an expiry is known, not the approval
    if certification.valid_from > today:
        return [errors.certification_not_available()]
    return []


def is_valid_certification(certification: KnownCertification, user_id: uuid.UUID, today: date) -> bool:
    return not certification_errors(certification, user_id, today)


def plate_errors(plate: KnownPlate | None, user_id: uuid.UUID) -> list[FieldError]:
    """A plate is usable while it is associated with the citizen and its approval is known."""
    if plate is None or plate.user_id != user_id:
        return [errors.plate_not_available()]
    if not plate.active:
        return [errors.plate_dissociated()]
    if plate.electric is None:
        return [errors.plate_not_available()]
    return []


def is_usable_plate(plate: KnownPlate, user_id: uuid.UUID) -> bool:
    return not plate_errors(plate, user_id)


def type_errors(
    subscription_type: OfferedType | None, *, sector_code: str | None, plate_electric: bool | None
) -> list[FieldError]:
    """The type must be offered, allowed in the certification's sector (when it is known) and,
    when it is for electric cars, the plate must be certified electric (when the plate is known)."""
    if subscription_type is None or not subscription_type.active:
        return [errors.type_not_found()]
    found: list[FieldError] = []
    if sector_code is not None and not allows_sector(subscription_type, sector_code):
        found.append(errors.type_not_allowed(sector_code))
    if subscription_type.electric_only and plate_electric is False:
        found.append(errors.plate_not_electric())
    return found


@dataclass(frozen=True)
class Sector:
    code: str
    name: str


def subscription_sector(subscription_type: SectorRule, certification: KnownCertification | None) -> Sector:
    """Where the subscription is valid: everywhere for a type valid in every sector, else the
    certification's sector."""
    if subscription_type.all_sectors or certification is None:
        return Sector(ALL_SECTORS, ALL_SECTORS_NAME)
    return Sector(certification.sector_code, certification.sector_name or certification.sector_code)
