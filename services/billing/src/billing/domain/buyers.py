"""Who an invoice is made out to ("cessionario/committente"), and the rules the billing data a
citizen types must respect before it goes into a FatturaPA file.

- A **person** needs first and last name and a valid codice fiscale (python-codicefiscale
  checks its check character, omocodie included); a partita IVA is optional (a professional).
- A **company** needs its name ("denominazione o ragione sociale") and a valid partita IVA; its
  codice fiscale is optional (11 digits, or the 16 characters of a sole trader).
- The address is Italian: street, optional street number, 5-digit CAP, municipality and the
  2-letter abbreviation of an existing province.
- Delivery through SDI: a 7-character recipient code ("codice destinatario"), or a PEC address
  (then the code is ``0000000``), or neither: ``0000000`` without PEC, which SDI accepts for a
  person or a company that reads its invoices in the Agenzia delle Entrate's reserved area.
- Text goes into fields the schema limits to Latin-1: typographic apostrophes and dashes are
  written plainly, anything else outside Latin-1 is refused with its field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from codicefiscale import codicefiscale
from email_validator import EmailNotValidError, validate_email

from billing.domain.places import provinces
from kit.errors import FieldError, Invalid
from kit.text import clean_line

BuyerKind = Literal["person", "company"]
NO_RECIPIENT_CODE = "0000000"
COUNTRY = "IT"

_RECIPIENT_CODE = re.compile(r"^[A-Z0-9]{7}$", re.ASCII)
_POSTCODE = re.compile(r"^[0-9]{5}$", re.ASCII)
_PROVINCE = re.compile(r"^[A-Z]{2}$", re.ASCII)
_DIGITS_11 = re.compile(r"^[0-9]{11}$", re.ASCII)

# Typographic punctuation that phones and word processors put in names and streets
# ("D’Angelo"), written as the plain Latin-1 character it stands for.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
    }
)

NOT_LATIN = (
    "Contiene caratteri che la fattura elettronica non ammette: usa lettere, cifre e punteggiatura comuni."
)


# --- Text for FatturaPA ------------------------------------------------------------------------


def plain_text(value: str) -> str:
    """Spaces collapsed, accents composed (NFC) and typographic punctuation written plainly."""
    return clean_line(unicodedata.normalize("NFC", value).translate(_PLAIN))


def is_latin1(value: str) -> bool:
    return all(ord(char) < 256 for char in value)


def latin1_text(value: str, max_length: int) -> str:
    """Text of ours (a subscription description) made fit for a Latin-1 field of at most
    ``max_length`` characters: plain punctuation, other letters without their marks, anything
    still outside Latin-1 as ``?``."""
    text = plain_text(value)
    if not is_latin1(text):
        text = "".join(
            char
            if ord(char) < 256
            else "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256) or "?"
            for char in text
        )
    return text[:max_length]


# --- Tax identifiers -----------------------------------------------------------------------------


def vat_check_digit(first_ten: str) -> int:
    """The check digit of a partita IVA (and of the numeric codice fiscale of a company or a
    public body) from its first ten digits: digits in odd positions (1st, 3rd, …) are added as
    they are, digits in even positions doubled (minus 9 when the double exceeds 9); the check
    digit brings the sum to a multiple of 10."""
    if len(first_ten) != 10 or not first_ten.isascii() or not first_ten.isdigit():
        raise ValueError(f"ten digits expected: {first_ten!r}")
    total = 0
    for position, char in enumerate(first_ten, start=1):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def is_valid_vat_number(value: str) -> bool:
    """An Italian partita IVA: 11 digits whose last is the check digit of the first ten (and
    not all zeros)."""
    if not _DIGITS_11.match(value) or value == "0" * 11:
        return False
    return vat_check_digit(value[:10]) == int(value[10])


def is_valid_person_tax_code(value: str) -> bool:
    """A person's codice fiscale: 16 characters with the right check character."""
    return len(value) == 16 and value.isascii() and value.isalnum() and codicefiscale.is_valid(value)


def is_valid_company_tax_code(value: str) -> bool:
    """A company's codice fiscale: 11 digits with the check digit of a partita IVA, or, for a
    sole trader, the owner's 16-character codice fiscale."""
    return is_valid_vat_number(value) if len(value) == 11 else is_valid_person_tax_code(value)


def normalise_code(value: str) -> str:
    """Tax codes, recipient codes, provinces: without spaces, in capitals."""
    return "".join(value.split()).upper()


def address_line(street: str, number: str | None, postcode: str, municipality: str, province: str) -> str:
    """``Via Roma 1, 81100 Caserta (CE)``."""
    place = f"{street} {number}" if number else street
    return f"{place}, {postcode} {municipality} ({province})"


# --- The buyer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Buyer:
    kind: BuyerKind
    first_name: str | None
    last_name: str | None
    company_name: str | None
    tax_code: str | None
    vat_number: str | None
    address_street: str
    address_number: str | None
    postcode: str
    municipality: str
    province: str
    country: str
    pec: str | None
    recipient_code: str

    @property
    def name(self) -> str:
        if self.kind == "company":
            return self.company_name or ""
        return f"{self.first_name} {self.last_name}"

    @property
    def address_line(self) -> str:
        return address_line(
            self.address_street, self.address_number, self.postcode, self.municipality, self.province
        )


# The longest value each text field may have in FatturaPA (and in our tables).
MAX_LENGTHS = {
    "first_name": 60,
    "last_name": 60,
    "company_name": 80,
    "address_street": 60,
    "address_number": 8,
    "municipality": 60,
    "pec": 256,
}

_REQUIRED = {
    "first_name": "Indica il nome.",
    "last_name": "Indica il cognome.",
    "company_name": "Indica la denominazione o ragione sociale.",
    "tax_code": "Indica il codice fiscale.",
    "vat_number": "Indica la partita IVA.",
    "address_street": "Indica l'indirizzo (via o piazza).",
    "postcode": "Indica il CAP.",
    "municipality": "Indica il comune.",
    "province": "Indica la sigla della provincia.",
}


class _Checker:
    """Collects every field's error, so the citizen reads them all at once."""

    def __init__(self, raw: Mapping[str, str | None]) -> None:
        self.raw = raw
        self.errors: list[FieldError] = []

    def error(self, field: str, code: str, message: str) -> None:
        self.errors.append(FieldError(field, code, message))

    def text(self, field: str, *, required: bool) -> str | None:
        value = plain_text(self.raw.get(field) or "")
        if not value:
            if required:
                self.error(field, "required", _REQUIRED[field])
            return None
        limit = MAX_LENGTHS[field]
        if len(value) > limit:
            self.error(field, "too_long", f"Al massimo {limit} caratteri.")
        elif not is_latin1(value):
            self.error(field, "not_latin1", NOT_LATIN)
        return value

    def code(self, field: str, *, required: bool) -> str | None:
        value = normalise_code(self.raw.get(field) or "")
        if not value:
            if required:
                self.error(field, "required", _REQUIRED[field])
            return None
        return value


def check_buyer(raw: Mapping[str, str | None]) -> Buyer:
    """The buyer described by ``raw`` (the form's fields, as typed), cleaned; ``Invalid`` with
    every field at fault otherwise."""
    check = _Checker(raw)
    kind = raw.get("kind")
    if kind not in ("person", "company"):
        raise Invalid(
            [
                FieldError(
                    "kind", "invalid_kind", "Scegli se intestare la fattura a una persona o a un'azienda."
                )
            ]
        )
    first_name = last_name = company_name = None
    if kind == "person":
        first_name = check.text("first_name", required=True)
        last_name = check.text("last_name", required=True)
        tax_code = check.code("tax_code", required=True)
        if tax_code is not None and not is_valid_person_tax_code(tax_code):
            check.error("tax_code", "invalid_tax_code", "Il codice fiscale non è valido.")
        vat_number = check.code("vat_number", required=False)
    else:
        company_name = check.text("company_name", required=True)
        vat_number = check.code("vat_number", required=True)
        tax_code = check.code("tax_code", required=False)
        if tax_code is not None and not is_valid_company_tax_code(tax_code):
            check.error(
                "tax_code",
                "invalid_tax_code",
                "Il codice fiscale non è valido: 11 cifre per una società, "
                "16 caratteri per una ditta individuale.",
            )
    if vat_number is not None and not is_valid_vat_number(vat_number):
        check.error(
            "vat_number",
            "invalid_vat_number",
            "La partita IVA non è valida: ha 11 cifre, l'ultima di controllo.",
        )

    street = check.text("address_street", required=True)
    number = check.text("address_number", required=False)
    if number is not None and not number.isascii():
        check.error("address_number", "not_ascii", "Il numero civico non può contenere lettere accentate.")
    postcode = check.code("postcode", required=True)
    if postcode is not None and not _POSTCODE.match(postcode):
        check.error("postcode", "invalid_postcode", "Il CAP deve avere 5 cifre.")
    municipality = check.text("municipality", required=True)
    province = check.code("province", required=True)
    if province is not None:
        if not _PROVINCE.match(province):
            check.error(
                "province", "invalid_province", "Indica la sigla della provincia: 2 lettere (ad esempio CE)."
            )
        elif province not in provinces():
            check.error("province", "unknown_province", "Sigla di provincia sconosciuta.")
    country = normalise_code(raw.get("country") or COUNTRY)
    if country != COUNTRY:
        check.error(
            "country",
            "country_not_supported",
            "La fattura può essere intestata solo a un indirizzo in Italia.",
        )

    recipient_code = check.code("recipient_code", required=False)
    if recipient_code is not None and not _RECIPIENT_CODE.match(recipient_code):
        check.error(
            "recipient_code",
            "invalid_recipient_code",
            "Il codice destinatario ha 7 caratteri, lettere e cifre.",
        )
    pec = _check_pec(check, raw.get("pec"))
    if pec is not None and recipient_code not in (None, NO_RECIPIENT_CODE):
        check.error(
            "pec",
            "pec_with_recipient_code",
            "Indica il codice destinatario oppure la PEC, non entrambi.",
        )

    if check.errors:
        raise Invalid(check.errors)
    assert street and postcode and municipality and province  # required above
    return Buyer(
        kind=kind,
        first_name=first_name,
        last_name=last_name,
        company_name=company_name,
        tax_code=tax_code,
        vat_number=vat_number,
        address_street=street,
        address_number=number,
        postcode=postcode,
        municipality=municipality,
        province=province,
        country=country,
        pec=pec,
        recipient_code=recipient_code or NO_RECIPIENT_CODE,
    )


def _check_pec(check: _Checker, raw: str | None) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    try:
        # The schema takes ASCII addresses only (no internationalised ones).
        address = validate_email(value, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError:
        check.error("pec", "invalid_pec", "Indirizzo PEC non valido.")
        return None
    if len(address) > MAX_LENGTHS["pec"]:
        check.error("pec", "too_long", f"Al massimo {MAX_LENGTHS['pec']} caratteri.")
        return None
    return address
