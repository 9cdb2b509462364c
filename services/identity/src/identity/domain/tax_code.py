"""Codice fiscale: validity (check character, omocodia accepted), the birth details it holds
(sex, birth date, birth place: the citizen confirms them instead of typing them again) and
agreement with the personal details the citizen declares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from codicefiscale import codicefiscale

from kit.errors import FieldError

_SHAPE = re.compile(r"^[A-Z0-9]{16}$")
_SEPARATORS = re.compile(r"[\s-]+")


def normalize_tax_code(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def is_valid_tax_code(value: str) -> bool:
    code = normalize_tax_code(value)
    return bool(_SHAPE.match(code)) and codicefiscale.is_valid(code)


def tax_code_errors(value: str, field: str = "tax_code") -> list[FieldError]:
    if not value.strip():
        return [FieldError(field, "required", "Inserisci il codice fiscale.")]
    if not is_valid_tax_code(value):
        return [FieldError(field, "tax_code_invalid", "Il codice fiscale non è valido.")]
    return []


# An account holder signs self-certifications (autocertificazioni), which takes full age: of
# the two centuries a two-digit year allows, the one that makes the citizen an adult wins.
ADULT_AGE = 18


@dataclass(frozen=True)
class BirthDetails:
    """What the codice fiscale says of its holder. ``birth_place`` is the municipality's or
    the foreign state's name as python-codicefiscale's list has it (by the Belfiore code, for
    the municipality that had that code on the birth date); ``birth_province`` is its province
    code, "EE" for a foreign state."""

    sex: str
    birth_date: date
    birth_place: str
    birth_province: str

    @property
    def born_abroad(self) -> bool:
        return self.birth_province == "EE"


def _years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _birth_date(decoded: dict[str, Any], today: date) -> date:
    """The code holds the year without its century: the most recent date in the past that
    makes the holder an adult, else the most recent one in the past."""
    born = decoded["birthdate"].date()
    candidates = []
    for year in (today.year // 100 * 100 + born.year % 100, today.year // 100 * 100 - 100 + born.year % 100):
        try:
            candidate = born.replace(year=year)
        except ValueError:  # 29 February of a year that has none
            continue
        if candidate <= today:
            candidates.append(candidate)
    adults = [c for c in candidates if _years_between(c, today) >= ADULT_AGE]
    return max(adults or candidates or [born])


def birth_details(tax_code: str, today: date) -> BirthDetails:
    """The birth details of a valid codice fiscale (omocodes read back to their digits)."""
    decoded = codicefiscale.decode(normalize_tax_code(tax_code))
    born = _birth_date(decoded, today)
    # The place decode found for the Belfiore code on the date it chose (when a code stopped
    # existing, decode already went back a century to find it).
    place = decoded.get("birthplace") or {}
    return BirthDetails(
        sex=decoded["gender"],
        birth_date=born,
        birth_place=str(place.get("name") or ""),
        birth_province=str(place.get("province") or ""),
    )


@dataclass(frozen=True)
class DeclaredDetails:
    """Names are typed; sex and birth data come from the code, and are checked only when a
    client still sends them (the registration API accepted them before it derived them)."""

    last_name: str
    first_name: str
    sex: str | None = None
    birth_date: date | None = None
    birth_place: str | None = None


_MISMATCH_MESSAGES = {
    "last_name": "Il cognome non corrisponde al codice fiscale.",
    "first_name": "Il nome non corrisponde al codice fiscale.",
    "sex": "Il sesso non corrisponde al codice fiscale.",
    "birth_date": "La data di nascita non corrisponde al codice fiscale.",
    "birth_place": "Il luogo di nascita non corrisponde al codice fiscale.",
}


def _encodes_to(encode, expected: str, *args: object) -> bool:  # noqa: ANN001
    try:
        return encode(*args) == expected
    except (ValueError, TypeError, IndexError):
        return False


def _birthplace_matches(place: str, born: date, expected_code: str) -> bool:
    # With the date first: a municipality's code depends on when it existed.
    return _encodes_to(codicefiscale.encode_birthplace, expected_code, place, born.isoformat()) or (
        _encodes_to(codicefiscale.encode_birthplace, expected_code, place)
    )


def tax_code_mismatches(tax_code: str, details: DeclaredDetails) -> list[FieldError]:
    """One error per part of the (valid) codice fiscale that disagrees with the details.

    Omocodia replaces digits with letters; ``decode`` reads them back, so an omocode agrees
    with the same details as its original.
    """
    decoded = codicefiscale.decode(normalize_tax_code(tax_code))
    raw = decoded["raw"]
    disagreeing: list[str] = []
    if not _encodes_to(codicefiscale.encode_lastname, raw["lastname"], details.last_name):
        disagreeing.append("last_name")
    if not _encodes_to(codicefiscale.encode_firstname, raw["firstname"], details.first_name):
        disagreeing.append("first_name")
    if details.sex is not None and details.sex.upper() != decoded["gender"]:
        disagreeing.append("sex")
    # The code holds the year without its century.
    born = decoded["birthdate"].date()
    declared = details.birth_date or born
    if (born.year % 100, born.month, born.day) != (declared.year % 100, declared.month, declared.day):
        disagreeing.append("birth_date")
    place = decoded.get("birthplace") or {}
    if details.birth_place is not None and (
        not place.get("code") or not _birthplace_matches(details.birth_place, declared, place["code"])
    ):
        disagreeing.append("birth_place")
    return [FieldError(f, "tax_code_mismatch", _MISMATCH_MESSAGES[f]) for f in disagreeing]
