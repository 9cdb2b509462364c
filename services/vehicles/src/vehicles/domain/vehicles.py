"""The "Nuova Targa" form (Fase 8): what a citizen declares about a vehicle, the documents it
needs, and every rule the form must meet, all reported at once, each next to its field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from kit.errors import FieldError, Invalid
from vehicles.domain.plates import normalize_plate, plate_errors

MAKE_MAX_LENGTH = 60
MODEL_MAX_LENGTH = 60

# Letters of any alphabet, digits, and the punctuation of names like "Mercedes-Benz", "Citroën",
# "Classe A 180 d", "Range Rover" or "Q4 e-tron"; no control characters.
_VEHICLE_NAME = re.compile(r"^[^\W_](?:[\w .,'’&/+()\-]*[\w.)])?$")


class Fuel(StrEnum):
    BENZINA = "benzina"
    DIESEL = "diesel"
    GPL = "gpl"
    METANO = "metano"
    IBRIDA = "ibrida"
    ELETTRICA = "elettrica"

    @property
    def label(self) -> str:
        return FUEL_LABELS[self]

    @property
    def is_electric(self) -> bool:
        """Only a fully electric vehicle qualifies for the electric-car subscription."""
        return self is Fuel.ELETTRICA


FUEL_LABELS: dict[Fuel, str] = {
    Fuel.BENZINA: "Benzina",
    Fuel.DIESEL: "Diesel",
    Fuel.GPL: "GPL",
    Fuel.METANO: "Metano",
    Fuel.IBRIDA: "Ibrida",
    Fuel.ELETTRICA: "Elettrica",
}


class DocumentField(StrEnum):
    REGISTRATION_DOCUMENT = "registration_document"
    AVAILABILITY_ATTESTATION = "availability_attestation"

    @property
    def label(self) -> str:
        return DOCUMENT_LABELS[self]


DOCUMENT_LABELS: dict[DocumentField, str] = {
    DocumentField.REGISTRATION_DOCUMENT: "Libretto di circolazione",
    DocumentField.AVAILABILITY_ATTESTATION: "Attestazione di disponibilità",
}


def document_label(field: str) -> str:
    try:
        return DocumentField(field).label
    except ValueError:
        return field


@dataclass(frozen=True)
class PlateRequestForm:
    """The text fields of the form, as the citizen sent them (absent fields are empty)."""

    plate: str = ""
    plate_confirmation: str = ""
    foreign: str = ""
    make: str = ""
    model: str = ""
    fuel: str = ""
    owned: str = ""


@dataclass(frozen=True)
class VehicleDeclaration:
    """A form that meets every rule, its values normalised."""

    plate: str
    foreign: bool
    make: str
    model: str
    fuel: Fuel
    owned: bool


def clean_text(value: str) -> str:
    """Spaces trimmed and collapsed, as a person would have meant them."""
    return " ".join(value.split())


def parse_choice(value: str) -> bool | None:
    """A yes/no field: "true" or "false" (any case); None for anything else."""
    return {"true": True, "false": False}.get(value.strip().lower())


def fuel_of(value: str) -> Fuel | None:
    try:
        return Fuel(value.strip().lower())
    except ValueError:
        return None


def _name_errors(field: str, value: str, *, limit: int, what: str) -> list[FieldError]:
    if not value:
        return [FieldError(field, "required", f"Inserisci {what} del veicolo.")]
    if len(value) > limit:
        return [FieldError(field, "too_long", f"Al massimo {limit} caratteri.")]
    if not _VEHICLE_NAME.match(value):
        return [FieldError(field, "invalid_characters", "Usa solo lettere, cifre, spazi e trattini.")]
    return []


def availability_attestation_required(owned: bool) -> bool:
    """A vehicle not in the citizen's name (a company's, a relative's) needs the attestation that
    the citizen has it at their disposal."""
    return not owned


def declare_vehicle(form: PlateRequestForm, *, documents: set[str]) -> VehicleDeclaration:
    """The declaration the form makes, or ``Invalid`` with every error of the form at once.
    ``documents`` names the file fields that came with it."""
    foreign = parse_choice(form.foreign) if form.foreign.strip() else False
    owned = parse_choice(form.owned)
    fuel = fuel_of(form.fuel)
    make = clean_text(form.make)
    model = clean_text(form.model)

    errors: list[FieldError] = []
    if foreign is None:
        errors.append(FieldError("foreign", "invalid_choice", "Indica se la targa è estera."))
    errors += plate_errors(form.plate, form.plate_confirmation, foreign=bool(foreign))
    errors += _name_errors("make", make, limit=MAKE_MAX_LENGTH, what="la marca")
    errors += _name_errors("model", model, limit=MODEL_MAX_LENGTH, what="il modello")
    if fuel is None:
        message = "Scegli l'alimentazione tra: " + ", ".join(FUEL_LABELS.values()) + "."
        errors.append(FieldError("fuel", "required" if not form.fuel.strip() else "invalid_choice", message))
    if owned is None:
        errors.append(
            FieldError(
                "owned",
                "required" if not form.owned.strip() else "invalid_choice",
                "Indica se il veicolo è intestato a te.",
            )
        )
    if DocumentField.REGISTRATION_DOCUMENT not in documents:
        errors.append(
            FieldError(
                DocumentField.REGISTRATION_DOCUMENT.value,
                "file_required",
                "Allega il libretto di circolazione del veicolo.",
            )
        )
    if (
        owned is not None
        and availability_attestation_required(owned)
        and DocumentField.AVAILABILITY_ATTESTATION not in documents
    ):
        errors.append(
            FieldError(
                DocumentField.AVAILABILITY_ATTESTATION.value,
                "file_required",
                "Il veicolo non è intestato a te: allega l'attestazione di disponibilità.",
            )
        )
    if errors:
        raise Invalid(errors)
    assert foreign is not None and owned is not None and fuel is not None
    return VehicleDeclaration(
        plate=normalize_plate(form.plate), foreign=foreign, make=make, model=model, fuel=fuel, owned=owned
    )
