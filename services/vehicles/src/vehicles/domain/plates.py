"""Licence plates: how a typed plate is normalised, and which Italian formats it may have.

A plate is stored normalised (upper case, without spaces, dashes or dots), so "ab 123-cd" and
"AB123CD" are the same plate everywhere: in the unique indexes, in events, in searches.
Italian plates must match one of the formats below; a foreign plate (the citizen says so
explicitly) is only checked for length and characters, since every country has its own.
"""

from __future__ import annotations

import re
from enum import StrEnum

from kit.errors import FieldError

MAX_LENGTH = 10

# Separators people type inside a plate; anything else that is not a letter or a digit is an error.
_SEPARATORS = re.compile(r"[\s\-.·]+")
# Letters used by the national series since 1994 (cars) and 1999 (motorcycles): never I, O, Q, U,
# which could be mistaken for 1, 0, O and V.
_L = "[A-HJ-NPR-TV-Z]"

# Province codes of the old provincial plates (1927-1994) and of today's provinces, so that the
# plates of the provinces created later (motorcycles, trailers) are not refused either.
PROVINCES = frozenset(
    """
    AG AL AN AO AP AQ AR AT AV BA BG BI BL BN BO BR BS BT BZ CA CB CE CH CI CL CN CO CR CS CT CZ
    EN FC FE FG FI FM FO FR GE GO GR IM IS KR LC LE LI LO LT LU MB MC ME MI MN MO MS MT NA NO NU
    OG OR OT PA PC PD PE PG PI PN PO PR PS PT PU PV PZ RA RC RE RG RI RM RN RO SA SI SO SP SR SS
    SU SV TA TE TN TO TP TR TS TV UD VA VB VC VE VI VR VS VT VV
    """.split()
)


# The serial of an old provincial plate: up to six digits ("NA 123456"), or five or six
# characters of which one is a letter, once the digits ran out ("CE A12345", "ROMA 00000A").
_OLD_SERIAL = r"(?:[0-9]{1,6}|(?=[0-9]*[A-Z][0-9]*$)[A-Z0-9]{5,6})"


class PlateKind(StrEnum):
    CAR = "car"  # AA 000 AA, since 1994
    MOTORCYCLE = "motorcycle"  # AA 00000, since 1999
    PROVINCIAL = "provincial"  # NA 123456, CE A12345: cars and motorcycles before 1994/1999
    ROMA = "roma"  # ROMA 00000A: Rome's old plates spelt the city out
    MOPED = "moped"  # X + 5 letters or digits, since 2006
    FOREIGN = "foreign"


_FORMATS: list[tuple[PlateKind, re.Pattern[str]]] = [
    (PlateKind.CAR, re.compile(rf"{_L}{{2}}[0-9]{{3}}{_L}{{2}}")),
    (PlateKind.MOTORCYCLE, re.compile(rf"{_L}{{2}}[0-9]{{5}}")),
    (PlateKind.MOPED, re.compile(r"X[A-Z0-9]{5}")),
    (PlateKind.ROMA, re.compile(rf"ROMA{_OLD_SERIAL}")),
    (PlateKind.PROVINCIAL, re.compile(rf"(?P<province>[A-Z]{{2}}){_OLD_SERIAL}")),
]
_FOREIGN = re.compile(r"[A-Z0-9]{2,10}")

PLATE_REQUIRED = "Inserisci la targa del veicolo."
PLATE_INVALID = (
    "La targa non ha un formato italiano valido (ad esempio AB123CD). "
    "Se il veicolo ha una targa estera, indicalo."
)
FOREIGN_PLATE_INVALID = "La targa estera deve contenere da 2 a 10 lettere o cifre."
CONFIRMATION_REQUIRED = "Digita di nuovo la targa per confermarla."
PLATE_MISMATCH = "Le due targhe non coincidono."


def normalize_plate(raw: str) -> str:
    """Upper case, without the spaces, dashes and dots people type between the groups."""
    return _SEPARATORS.sub("", raw).upper()


def italian_kind(plate: str) -> PlateKind | None:
    """The Italian format a normalised plate has, or None when it has none."""
    for kind, pattern in _FORMATS:
        match = pattern.fullmatch(plate)
        if match is None:
            continue
        if kind is PlateKind.PROVINCIAL and match["province"] not in PROVINCES:
            continue
        return kind
    return None


def plate_kind(plate: str, *, foreign: bool) -> PlateKind | None:
    """The kind of a normalised plate, or None when it is not a valid plate."""
    if foreign:
        return PlateKind.FOREIGN if _FOREIGN.fullmatch(plate) else None
    return italian_kind(plate)


def plate_errors(plate: str, confirmation: str, *, foreign: bool) -> list[FieldError]:
    """Every error of the two plate fields (raw, as typed), each next to its field."""
    errors: list[FieldError] = []
    normalized = normalize_plate(plate)
    if not normalized:
        errors.append(FieldError("plate", "required", PLATE_REQUIRED))
    elif plate_kind(normalized, foreign=foreign) is None:
        message = FOREIGN_PLATE_INVALID if foreign else PLATE_INVALID
        errors.append(FieldError("plate", "plate_invalid", message))
    confirmed = normalize_plate(confirmation)
    if not confirmed:
        errors.append(FieldError("plate_confirmation", "required", CONFIRMATION_REQUIRED))
    elif normalized and confirmed != normalized:
        errors.append(FieldError("plate_confirmation", "plate_mismatch", PLATE_MISMATCH))
    return errors


def search_term(raw: str) -> str:
    """What an operator's plate search looks for: the normalised letters and digits only."""
    return re.sub(r"[^A-Z0-9]", "", normalize_plate(raw))[:MAX_LENGTH]
