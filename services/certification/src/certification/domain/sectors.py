"""Sectors (the manual's "Tipo di Autocertificazione"): the zones of residence a certification
is for, each with the streets it covers. Catalogue data, managed by admins."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from certification.domain.streets import street_key
from kit.errors import FieldError, Invalid
from kit.text import clean_line, has_control_characters

CODE_MAX = 20
NAME_MAX = 120
DESCRIPTION_MAX = 2000
STREET_MAX = 200
STREETS_MAX = 1000
_CODE = re.compile(rf"^[A-Z0-9](?:[A-Z0-9_-]{{0,{CODE_MAX - 1}}})$")


def normalize_code(code: str) -> str:
    return code.strip().upper()


def is_code(code: str) -> bool:
    """Whether ``code`` (already normalised) can name a sector at all."""
    return bool(_CODE.match(code))


@dataclass(frozen=True)
class SectorDraft:
    """A sector as an admin writes it, cleaned: the rules below hold once it exists."""

    code: str
    name: str
    description: str
    streets: tuple[str, ...]


def code_errors(code: str) -> list[FieldError]:
    if not code:
        return [FieldError("code", "required", "Inserisci il codice del settore.")]
    if not is_code(code):
        return [
            FieldError(
                "code",
                "code_invalid",
                f"Il codice del settore può contenere solo lettere, cifre, «-» e «_» "
                f"(al massimo {CODE_MAX} caratteri).",
            )
        ]
    return []


def name_errors(name: str) -> list[FieldError]:
    if not name:
        return [FieldError("name", "required", "Inserisci il nome del settore.")]
    if len(name) > NAME_MAX:
        return [
            FieldError("name", "too_long", f"Il nome del settore può avere al massimo {NAME_MAX} caratteri.")
        ]
    if has_control_characters(name):
        return [
            FieldError("name", "invalid_characters", "Il nome del settore contiene caratteri non ammessi.")
        ]
    return []


def description_errors(description: str) -> list[FieldError]:
    if len(description) > DESCRIPTION_MAX:
        return [
            FieldError(
                "description", "too_long", f"La descrizione può avere al massimo {DESCRIPTION_MAX} caratteri."
            )
        ]
    if has_control_characters(description, allow_newlines=True):
        return [
            FieldError("description", "invalid_characters", "La descrizione contiene caratteri non ammessi.")
        ]
    return []


def streets_errors(streets: Sequence[str]) -> list[FieldError]:
    if not streets:
        return [FieldError("streets", "required", "Indica almeno una via compresa nel settore.")]
    if len(streets) > STREETS_MAX:
        return [FieldError("streets", "too_many", f"Un settore può elencare al massimo {STREETS_MAX} vie.")]
    errors: list[FieldError] = []
    seen: dict[object, str] = {}
    for index, street in enumerate(streets):
        field = f"streets.{index}"
        if not street:
            errors.append(FieldError(field, "required", "Il nome della via è vuoto."))
        elif len(street) > STREET_MAX:
            errors.append(
                FieldError(
                    field, "too_long", f"Il nome della via può avere al massimo {STREET_MAX} caratteri."
                )
            )
        elif has_control_characters(street):
            errors.append(
                FieldError(field, "invalid_characters", "Il nome della via contiene caratteri non ammessi.")
            )
        else:
            key = street_key(street)
            if key in seen:
                errors.append(
                    FieldError(
                        field, "street_repeated", f"La via «{street}» è già elencata come «{seen[key]}»."
                    )
                )
            else:
                seen[key] = street
    return errors


def clean_streets(streets: Sequence[str]) -> tuple[str, ...]:
    return tuple(clean_line(street) for street in streets)


def sector_draft(code: str, name: str, description: str | None, streets: Sequence[str]) -> SectorDraft:
    """The cleaned sector; ``kit.errors.Invalid`` lists every broken rule, one per field."""
    draft = SectorDraft(
        code=normalize_code(code),
        name=clean_line(name),
        description=(description or "").strip(),
        streets=clean_streets(streets),
    )
    errors = [
        *code_errors(draft.code),
        *name_errors(draft.name),
        *description_errors(draft.description),
        *streets_errors(draft.streets),
    ]
    if errors:
        raise Invalid(errors)
    return draft
