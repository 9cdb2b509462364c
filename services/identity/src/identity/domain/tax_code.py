"""Codice fiscale: validity (check character, omocodia accepted) and agreement with the
personal details the citizen declares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

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
    if not is_valid_tax_code(value):
        return [FieldError(field, "tax_code_invalid", "Il codice fiscale non è valido.")]
    return []


@dataclass(frozen=True)
class DeclaredDetails:
    last_name: str
    first_name: str
    sex: str
    birth_date: date
    birth_place: str


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
    if details.sex.upper() != decoded["gender"]:
        disagreeing.append("sex")
    # The code holds the year without its century.
    born = decoded["birthdate"].date()
    declared = details.birth_date
    if (born.year % 100, born.month, born.day) != (declared.year % 100, declared.month, declared.day):
        disagreeing.append("birth_date")
    place = decoded.get("birthplace") or {}
    if not place.get("code") or not _birthplace_matches(details.birth_place, declared, place["code"]):
        disagreeing.append("birth_place")
    return [FieldError(f, "tax_code_mismatch", _MISMATCH_MESSAGES[f]) for f in disagreeing]
