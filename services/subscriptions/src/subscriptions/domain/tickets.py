"""The ticket's token ("contrassegno"): what its QR code carries, signed so that an enforcement
device verifies it offline with the published public keys alone, and the verdict on a day.

Pure: no database, no clock, no network. ``python -m subscriptions verify-ticket`` is this
module and a keys document read from a file, as a device would use it.

The format (version 1), compact enough for a QR code a phone camera reads at a glance::

    v1.<kid>.<base64url(payload)>.<base64url(signature)>

- ``payload``: the JSON array ``[serial, plate, sector_code, valid_from, valid_until,
  issued_at]``; the dates are days since 1970-01-01 (days of the Europe/Rome calendar, both
  included), ``issued_at`` is Unix seconds; ``sector_code`` ``"*"`` means every sector;
- ``signature``: Ed25519 over the ASCII bytes ``v1.<kid>.<base64url(payload)>`` (the format and
  the key id are signed too);
- base64url without padding; ``kid`` is the id of the key in the published keys document
  (``{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": ..., "kid": ..., "alg": "EdDSA"}]}``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from subscriptions.domain.catalogue import ALL_SECTORS, ALL_SECTORS_NAME
from subscriptions.domain.periods import format_date

FORMAT = "v1"
EPOCH = date(1970, 1, 1)
ALGORITHM = "EdDSA"
# Generous bounds: a token is about 180 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 600
KID = re.compile(r"^[a-z0-9]{4,16}$")
SERIAL_PREFIX = "CE"


def ticket_serial(year: int, number: int) -> str:
    """The ticket's number as printed: CE-2026-000123 (the number is yearly and gapless)."""
    return f"{SERIAL_PREFIX}-{year}-{number:06d}"


@dataclass(frozen=True)
class TicketClaims:
    """What a ticket states about its subscription."""

    serial: str
    plate: str
    sector_code: str
    valid_from: date
    valid_until: date  # the last day, included
    issued_at: datetime

    @property
    def sector_label(self) -> str:
        return ALL_SECTORS_NAME if self.sector_code == ALL_SECTORS else f"Settore {self.sector_code}"

    @property
    def period_label(self) -> str:
        return f"dal {format_date(self.valid_from)} al {format_date(self.valid_until)}"


@dataclass(frozen=True)
class VerifiedTicket:
    kid: str
    claims: TicketClaims


class TicketInvalid(Exception):
    """Not a ticket this municipality signed (malformed, unknown key, altered)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _malformed() -> TicketInvalid:
    return TicketInvalid("malformed", "Il codice letto non è un contrassegno valido.")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise _malformed()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise _malformed() from None


def _days(day: date) -> int:
    return (day - EPOCH).days


def encode_claims(claims: TicketClaims) -> bytes:
    values = [
        claims.serial,
        claims.plate,
        claims.sector_code,
        _days(claims.valid_from),
        _days(claims.valid_until),
        int(claims.issued_at.timestamp()),
    ]
    return json.dumps(values, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def decode_claims(raw: bytes) -> TicketClaims:
    try:
        values = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise _malformed() from None
    if not isinstance(values, list) or len(values) != 6:
        raise _malformed()
    serial, plate, sector_code, valid_from, valid_until, issued_at = values
    texts, numbers = (serial, plate, sector_code), (valid_from, valid_until, issued_at)
    if not all(isinstance(v, str) and v for v in texts):
        raise _malformed()
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**40 for v in numbers):
        raise _malformed()
    try:
        claims = TicketClaims(
            serial=serial,
            plate=plate,
            sector_code=sector_code,
            valid_from=EPOCH + timedelta(days=valid_from),
            valid_until=EPOCH + timedelta(days=valid_until),
            issued_at=datetime.fromtimestamp(issued_at, UTC),
        )
    except (OverflowError, ValueError):
        raise _malformed() from None
    if claims.valid_until < claims.valid_from:
        raise _malformed()
    return claims


def _signing_input(kid: str, payload: str) -> bytes:
    return f"{FORMAT}.{kid}.{payload}".encode("ascii")


def sign_ticket(claims: TicketClaims, *, kid: str, private_key: Ed25519PrivateKey) -> str:
    if not KID.match(kid):
        raise ValueError(f"not a key id: {kid!r}")
    payload = _b64encode(encode_claims(claims))
    signature = private_key.sign(_signing_input(kid, payload))
    return f"{FORMAT}.{kid}.{payload}.{_b64encode(signature)}"


def verify_ticket(token: str, keys: Mapping[str, Ed25519PublicKey]) -> VerifiedTicket:
    """The claims of ``token`` when one of ``keys`` signed it exactly as it is; else
    ``TicketInvalid`` saying why. Says nothing about the day: see ``verdict``."""
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise _malformed()
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != FORMAT or not KID.match(parts[1]):
        raise _malformed()
    _, kid, payload, signature = parts
    key = keys.get(kid)
    if key is None:
        raise TicketInvalid(
            "unknown_key",
            "Il contrassegno è firmato con una chiave non pubblicata dal Comune: non è autentico, "
            "oppure le chiavi del dispositivo vanno aggiornate.",
        )
    try:
        key.verify(_b64decode(signature), _signing_input(kid, payload))
    except InvalidSignature:
        raise TicketInvalid(
            "bad_signature", "La firma non corrisponde: il contrassegno è stato alterato o non è autentico."
        ) from None
    return VerifiedTicket(kid=kid, claims=decode_claims(_b64decode(payload)))


# The published keys document (JWKS-like: RFC 8037 OKP keys).


def public_jwk(kid: str, public_key: Ed25519PublicKey) -> dict[str, str]:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64encode(raw), "kid": kid, "use": "sig", "alg": ALGORITHM}


def raw_public_key(public_key: Ed25519PublicKey) -> str:
    return _b64encode(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_key_from_raw(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_b64decode(text))


def keys_from_document(document: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a published keys document, by kid; other entries are ignored (a
    future key type must not break a device that does not know it)."""
    keys: dict[str, Ed25519PublicKey] = {}
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError("il documento delle chiavi non ha l'elenco «keys»")
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            continue
        kid, x = entry.get("kid"), entry.get("x")
        if not isinstance(kid, str) or not KID.match(kid) or not isinstance(x, str):
            continue
        try:
            keys[kid] = public_key_from_raw(x)
        except (TicketInvalid, ValueError):
            continue
    return keys


# The verdict on a day.


class Outcome(StrEnum):
    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    NOT_FOUND = "not_found"
    INVALID = "invalid"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    label: str

    @property
    def valid(self) -> bool:
        return self.outcome is Outcome.VALID


def validity_verdict(valid_from: date, valid_until: date, on: date) -> Verdict:
    """Whether a period covers ``on``; expired says the last day it was valid (its "scadenza",
    as Italians read it on a document)."""
    if on < valid_from:
        return Verdict(Outcome.NOT_YET_VALID, f"Non ancora valido: valido dal {format_date(valid_from)}")
    if on > valid_until:
        return Verdict(Outcome.EXPIRED, f"Scaduto il {format_date(valid_until)}")
    return Verdict(Outcome.VALID, "Valido")


def revoked_verdict(revoked_on: date) -> Verdict:
    return Verdict(Outcome.REVOKED, f"Revocato il {format_date(revoked_on)}")


NOT_FOUND = Verdict(Outcome.NOT_FOUND, "Nessun abbonamento per questa targa")


def invalid_verdict(refusal: TicketInvalid) -> Verdict:
    return Verdict(Outcome.INVALID, f"Contrassegno non valido: {refusal.message}")
