"""The anagrafica: names, sex and birth data (bound to the codice fiscale), address and phone
(the citizen may change them later)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from kit.errors import FieldError

# Letters, with the separators Italian and foreign names use: "D'Amico", "De Luca", "Anne-Marie".
_NAME = re.compile(r"^[^\W\d_]+(?:(?:[ '’.\-]|\. )[^\W\d_]+)*\.?$")
_POSTCODE = re.compile(r"^\d{5}$")
_PHONE = re.compile(r"^\+?\d{6,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-./()]")
OLDEST_BIRTH_YEAR = 1900

# The fields a citizen may change after registration.
CONTACT_FIELDS = ("address_street", "address_number", "postcode", "municipality", "phone")
_TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "birth_place": 100,
    "address_street": 200,
    "address_number": 20,
    "municipality": 100,
}
_REQUIRED_MESSAGES = {
    "first_name": "Inserisci il nome.",
    "last_name": "Inserisci il cognome.",
    "birth_place": "Inserisci il luogo di nascita.",
    "address_street": "Inserisci l'indirizzo di residenza.",
    "address_number": "Inserisci il numero civico.",
    "postcode": "Inserisci il CAP.",
    "municipality": "Inserisci il comune di residenza.",
}


def clean_text(value: str) -> str:
    """Spaces trimmed and collapsed, as a person would have meant them."""
    return " ".join(value.split())


def normalize_phone(value: str) -> str:
    return _PHONE_SEPARATORS.sub("", value)


def _text_errors(field: str, value: str | None) -> list[FieldError]:
    if value is None or not value:
        return [FieldError(field, "required", _REQUIRED_MESSAGES[field])]
    limit = _TEXT_LIMITS.get(field)
    if limit is not None and len(value) > limit:
        return [FieldError(field, "too_long", f"Al massimo {limit} caratteri.")]
    return []


def _name_errors(field: str, value: str, label: str) -> list[FieldError]:
    errors = _text_errors(field, value)
    if not errors and not _NAME.match(value):
        errors.append(
            FieldError(field, "name_invalid", f"{label} può contenere solo lettere, spazi e apostrofi.")
        )
    return errors


def sex_errors(value: str) -> list[FieldError]:
    if value.upper() not in ("M", "F"):
        return [FieldError("sex", "sex_invalid", "Indica il sesso: M oppure F.")]
    return []


def birth_date_errors(value: date, today: date) -> list[FieldError]:
    if value > today or value.year < OLDEST_BIRTH_YEAR:
        return [FieldError("birth_date", "birth_date_invalid", "La data di nascita non è valida.")]
    return []


def contact_errors(values: dict[str, str | None]) -> list[FieldError]:
    """Errors of the address and phone fields present in ``values`` (already cleaned);
    the phone may be absent or empty, the address fields may not."""
    errors: list[FieldError] = []
    for field in ("address_street", "address_number", "municipality"):
        if field in values:
            errors += _text_errors(field, values[field])
    if "postcode" in values:
        postcode = values["postcode"]
        if not postcode:
            errors.append(FieldError("postcode", "required", _REQUIRED_MESSAGES["postcode"]))
        elif not _POSTCODE.match(postcode):
            errors.append(FieldError("postcode", "postcode_invalid", "Il CAP deve essere di 5 cifre."))
    phone = values.get("phone")
    if phone and not _PHONE.match(normalize_phone(phone)):
        errors.append(FieldError("phone", "phone_invalid", "Il numero di telefono non è valido."))
    return errors


def personal_details_errors(
    *,
    first_name: str,
    last_name: str,
    sex: str | None = None,
    birth_date: date | None = None,
    birth_place: str | None = None,
    today: date,
) -> list[FieldError]:
    """Names always; sex and birth data only when given (registration derives them from the
    codice fiscale)."""
    return [
        *_name_errors("first_name", first_name, "Il nome"),
        *_name_errors("last_name", last_name, "Il cognome"),
        *(sex_errors(sex) if sex is not None else []),
        *(birth_date_errors(birth_date, today) if birth_date is not None else []),
        *(_text_errors("birth_place", birth_place) if birth_place is not None else []),
    ]


def personal_details(account: Any) -> dict[str, Any]:
    """What identity's v2 events tell the other services about a citizen (their documents print
    it): the personal details and the residence address of an account."""
    return {
        "sex": account.sex if account.sex in ("M", "F") else None,
        "birth_date": account.birth_date,
        "birth_place": account.birth_place,
        "address_street": account.address_street,
        "address_number": account.address_number,
        "postcode": account.postcode,
        "municipality": account.municipality,
        "phone": account.phone,
    }
