"""The ticket's token without a database: it verifies offline with the published keys alone, an
altered or foreign one does not, its verdict on a day, which keys sign and are published, the
size of its QR code, and ``python -m subscriptions verify-ticket``."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subscriptions.__main__ import verify_offline
from subscriptions.domain.ticket_keys import ScheduledKey, published_kids, signing_kid
from subscriptions.domain.tickets import (
    Outcome,
    TicketClaims,
    TicketInvalid,
    keys_from_document,
    public_jwk,
    sign_ticket,
    ticket_serial,
    validity_verdict,
    verify_ticket,
)
from subscriptions.ticket_pdf import qr_code

ISSUED = datetime(2027, 1, 20, 10, 30, tzinfo=UTC)
CLAIMS = TicketClaims(
    serial="CE-2027-000123",
    plate="AB123CD",
    sector_code="S1",
    valid_from=date(2027, 2, 1),
    valid_until=date(2028, 1, 31),
    issued_at=ISSUED,
)


def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _document(**keys: Ed25519PrivateKey) -> dict:
    return {"keys": [public_jwk(kid, key.public_key()) for kid, key in keys.items()]}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_token_verifies_with_the_published_keys_alone_and_gives_back_its_claims() -> None:
    key = _key()
    token = sign_ticket(CLAIMS, kid="k1a2b3c4", private_key=key)
    # Through JSON, as a device reads the published document.
    keys = keys_from_document(json.loads(json.dumps(_document(k1a2b3c4=key))))

    verified = verify_ticket(token, keys)

    assert verified.kid == "k1a2b3c4"
    assert verified.claims == CLAIMS
    assert token.startswith("v1.k1a2b3c4.")


def test_a_token_with_any_byte_of_its_payload_changed_is_refused() -> None:
    key = _key()
    token = sign_ticket(CLAIMS, kid="k1a2b3c4", private_key=key)
    keys = keys_from_document(_document(k1a2b3c4=key))
    version, kid, payload, signature = token.split(".")
    forged = json.dumps(["CE-2027-000123", "ZZ999ZZ", "S1", 20850, 21214, 1800000000], separators=(",", ":"))

    for altered in (
        f"{version}.{kid}.{_b64(forged.encode())}.{signature}",  # another plate
        f"{version}.{kid}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}",
        f"{version}.{kid}.{payload}.{signature[:-3]}AAA",
    ):
        with pytest.raises(TicketInvalid) as refused:
            verify_ticket(altered, keys)
        assert refused.value.code in ("bad_signature", "malformed")


def test_a_token_signed_by_a_key_that_is_not_published_is_refused() -> None:
    token = sign_ticket(CLAIMS, kid="k1a2b3c4", private_key=_key())
    with pytest.raises(TicketInvalid) as refused:
        verify_ticket(token, keys_from_document(_document(k9z8y7x6=_key())))
    assert refused.value.code == "unknown_key"


def test_a_token_signed_by_another_key_under_a_published_kid_is_refused() -> None:
    token = sign_ticket(CLAIMS, kid="k1a2b3c4", private_key=_key())
    with pytest.raises(TicketInvalid) as refused:
        verify_ticket(token, keys_from_document(_document(k1a2b3c4=_key())))
    assert refused.value.code == "bad_signature"


@pytest.mark.parametrize(
    "garbage",
    ["", "v1", "v2.k1a2b3c4.e30.e30", "v1.K1!.e30.e30", "v1.k1a2b3c4.%%%.e30", "x" * 5000, "v1.k1a2b3c4..."],
)
def test_garbage_is_refused_as_malformed_or_unknown(garbage: str) -> None:
    with pytest.raises(TicketInvalid) as refused:
        verify_ticket(garbage, keys_from_document(_document(k1a2b3c4=_key())))
    assert refused.value.code in ("malformed", "bad_signature")


def test_a_signed_payload_that_is_not_a_ticket_is_refused_as_malformed() -> None:
    key = _key()
    payload = _b64(b'{"s":"CE-2027-000123"}')
    signing_input = f"v1.k1a2b3c4.{payload}".encode()
    token = f"v1.k1a2b3c4.{payload}.{_b64(key.sign(signing_input))}"
    with pytest.raises(TicketInvalid) as refused:
        verify_ticket(token, keys_from_document(_document(k1a2b3c4=key)))
    assert refused.value.code == "malformed"


def test_the_keys_document_ignores_keys_of_other_kinds() -> None:
    key = _key()
    document = _document(k1a2b3c4=key)
    document["keys"].append({"kty": "EC", "crv": "P-256", "kid": "ec1", "x": "a", "y": "b"})
    document["keys"].append({"kty": "OKP", "crv": "Ed25519", "kid": "broken1", "x": "not-a-key"})
    assert set(keys_from_document(document)) == {"k1a2b3c4"}
    with pytest.raises(ValueError):
        keys_from_document({"no": "keys"})


@pytest.mark.parametrize(
    ("day", "outcome", "label"),
    [
        (date(2027, 1, 31), Outcome.NOT_YET_VALID, "Non ancora valido: valido dal 01/02/2027"),
        (date(2027, 2, 1), Outcome.VALID, "Valido"),
        (date(2028, 1, 31), Outcome.VALID, "Valido"),
        (date(2028, 2, 1), Outcome.EXPIRED, "Scaduto il 31/01/2028"),
    ],
)
def test_the_verdict_covers_the_first_and_the_last_day(day: date, outcome: Outcome, label: str) -> None:
    verdict = validity_verdict(CLAIMS.valid_from, CLAIMS.valid_until, day)
    assert (verdict.outcome, verdict.label, verdict.valid) == (outcome, label, outcome is Outcome.VALID)


def test_serials_read_as_the_municipality_prints_them() -> None:
    assert ticket_serial(2026, 123) == "CE-2026-000123"


def test_the_longest_token_fits_a_qr_code_of_version_10_at_most() -> None:
    longest = TicketClaims(
        serial="CE-2099-9999999",
        plate="ABCDEFGHJK",
        sector_code="S" * 20,
        valid_from=date(2099, 1, 1),
        valid_until=date(2103, 12, 31),
        issued_at=datetime(2099, 1, 1, tzinfo=UTC),
    )
    typical = sign_ticket(CLAIMS, kid="a1b2c3d4", private_key=_key())
    token = sign_ticket(longest, kid="a1b2c3d4", private_key=_key())
    assert qr_code(typical).version <= 9
    assert qr_code(token).version <= 10
    assert qr_code(token).error in ("M", "Q", "H")


# Which key signs, which are published.

T0 = datetime(2027, 1, 1, tzinfo=UTC)


def test_the_latest_active_key_signs_and_a_key_not_yet_active_does_not() -> None:
    keys = [ScheduledKey("old", T0), ScheduledKey("new", T0 + timedelta(days=1))]
    assert signing_kid(keys, T0 - timedelta(seconds=1)) is None
    assert signing_kid(keys, T0 + timedelta(hours=23)) == "old"
    assert signing_kid(keys, T0 + timedelta(days=1)) == "new"


def test_a_superseded_key_stays_published_while_a_ticket_it_signed_matters() -> None:
    keys = [ScheduledKey("old", T0), ScheduledKey("new", T0 + timedelta(days=1))]
    before = T0 + timedelta(hours=1)
    after = T0 + timedelta(days=2)
    assert published_kids(keys, before, carried=set()) == ["new", "old"]  # new: announced early
    assert published_kids(keys, after, carried={"old"}) == ["new", "old"]
    assert published_kids(keys, after, carried=set()) == ["new"]


# The command a device runs.


def _write_keys(tmp_path: Path, **keys: Ed25519PrivateKey) -> Path:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(_document(**keys)), encoding="utf-8")
    return path


def test_verify_ticket_prints_the_plate_sector_validity_and_verdict(tmp_path: Path) -> None:
    key = _key()
    keys = _write_keys(tmp_path, k1a2b3c4=key)
    token = sign_ticket(CLAIMS, kid="k1a2b3c4", private_key=key)

    valid, lines = verify_offline(token, keys, date(2027, 6, 1))
    assert valid
    assert lines == [
        "Targa: AB123CD",
        "Settore: Settore S1",
        "Validità: dal 01/02/2027 al 31/01/2028",
        "Contrassegno: CE-2027-000123",
        "Esito al 01/06/2027: Valido",
    ]
    valid, lines = verify_offline(token, keys, date(2028, 3, 1))
    assert not valid and lines[-1] == "Esito al 01/03/2028: Scaduto il 31/01/2028"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "subscriptions", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_verify_ticket_exits_0_when_valid_on_the_day_and_1_otherwise(tmp_path: Path) -> None:
    """The command as a device runs it, in a process of its own."""
    key = _key()
    keys = str(_write_keys(tmp_path, k1a2b3c4=key))
    token = sign_ticket(CLAIMS, kid="k1a2b3c4", private_key=key)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    valid = _run("verify-ticket", token, "--keys", keys, "--at", "2027-06-01")
    expired = _run("verify-ticket", token, "--keys", keys, "--at", "2028-02-01")
    forged = _run("verify-ticket", tampered, "--keys", keys, "--at", "2027-06-01")

    assert (valid.returncode, expired.returncode, forged.returncode) == (0, 1, 1), valid.stderr
    assert "Targa: AB123CD" in valid.stdout and valid.stdout.rstrip().endswith("Valido")
    assert expired.stdout.rstrip().endswith("Scaduto il 31/01/2028")
    assert "Contrassegno non valido" in forged.stdout


def test_verify_ticket_without_readable_keys_exits_2(tmp_path: Path) -> None:
    token = sign_ticket(CLAIMS, kid="k1a2b3c4", private_key=_key())
    missing = tmp_path / "missing.json"
    with pytest.raises(SystemExit) as exited:
        verify_offline(token, missing, None)
    assert exited.value.code == 2
    (tmp_path / "bad.json").write_text("[]", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        verify_offline(token, tmp_path / "bad.json", None)
    assert exited.value.code == 2
