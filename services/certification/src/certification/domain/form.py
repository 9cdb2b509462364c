"""The self-certification of residence (Fase 6, "Scarica il modulo qui"): a dichiarazione
sostitutiva di certificazione (D.P.R. 445/2000, art. 46) filled with what the platform knows
of the citizen. What it does not know stays blank, to be filled by hand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any


def italian_date(day: date | None) -> str | None:
    return day.strftime("%d/%m/%Y") if day else None


def address_line(citizen: Mapping[str, Any] | None) -> str | None:
    """The residence in one line ("Via Mazzini 12, 81100 Caserta"); None when not known."""
    if citizen is None or not citizen.get("address_street"):
        return None
    line = " ".join(part for part in (citizen["address_street"], citizen.get("address_number")) if part)
    place = " ".join(part for part in (citizen.get("postcode"), citizen.get("municipality")) if part)
    return f"{line}, {place}" if place else line


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


@dataclass(frozen=True)
class SelfCertificationForm:
    """Every value printed on the form; None prints a blank line."""

    municipality_office: str
    full_name: str | None
    tax_code: str | None
    birth_place: str | None
    birth_date: str | None
    address_street: str | None
    address_number: str | None
    postcode: str | None
    municipality: str | None
    phone: str | None
    email: str | None
    sector_code: str | None
    sector_name: str | None
    place: str
    date: str
    sex: str | None = None

    @property
    def undersigned(self) -> str:
        return {"M": "Il sottoscritto", "F": "La sottoscritta"}.get(self.sex or "", "Il/La sottoscritto/a")

    @property
    def born(self) -> str:
        return {"M": "nato", "F": "nata"}.get(self.sex or "", "nato/a")

    @property
    def declarant(self) -> str:
        return {"M": "Il dichiarante", "F": "La dichiarante"}.get(self.sex or "", "Il/La dichiarante")

    @property
    def filename(self) -> str:
        suffix = f"-{self.sector_code.lower()}" if self.sector_code else ""
        return f"autocertificazione-residenza{suffix}.pdf"


def self_certification_form(
    citizen: Mapping[str, Any] | None,
    *,
    sector_code: str | None,
    sector_name: str | None,
    today: date,
    municipality_office: str,
) -> SelfCertificationForm:
    c: Mapping[str, Any] = citizen or {}
    names = [_text(c.get("first_name")), _text(c.get("last_name"))]
    full_name = " ".join(n for n in names if n) or None
    sex = c.get("sex")
    return SelfCertificationForm(
        municipality_office=municipality_office,
        full_name=full_name,
        tax_code=_text(c.get("tax_code")),
        birth_place=_text(c.get("birth_place")),
        birth_date=italian_date(c.get("birth_date")),
        address_street=_text(c.get("address_street")),
        address_number=_text(c.get("address_number")),
        postcode=_text(c.get("postcode")),
        municipality=_text(c.get("municipality")),
        phone=_text(c.get("phone")),
        email=_text(c.get("email")),
        sector_code=sector_code,
        sector_name=sector_name,
        place="Caserta",
        date=italian_date(today) or "",
        sex=sex if sex in ("M", "F") else None,
    )
