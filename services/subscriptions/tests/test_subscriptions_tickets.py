"""The ticket ("contrassegno") through the API: the PDF with its QR code, who may download it, its
serial, the published keys and their rotation (a ticket signed by a rotated-out key verifies
while its key is published)."""

from __future__ import annotations

import argparse
import io
import re
import uuid
from datetime import date, timedelta

import pypdf
import pytest
import segno

from kit.clock import MovableClock
from subscriptions.__main__ import rotate_ticket_key
from subscriptions.domain.periods import Period, format_date
from subscriptions.domain.tickets import TicketInvalid, keys_from_document, verify_ticket

# WeasyPrint draws segno's SVG in module units: one horizontal run of dark modules per
# "x y.5 m / x2 y.5 l" pair (the quiet zone of 4 modules included), nothing else on the page
# has integer coordinates like these.
_RUN = re.compile(r"(?m)^(\d+) (\d+)\.5 m\n(\d+) \2\.5 l$")


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _qr_modules_in(pdf: bytes) -> set[tuple[int, int]]:
    content = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    return {(int(y), x) for x1, y, x2 in _RUN.findall(content) for x in range(int(x1), int(x2))}


def _qr_modules_of(token: str) -> set[tuple[int, int]]:
    qr = segno.make_qr(token, error="m")
    return {(r + 4, c + 4) for r, row in enumerate(qr.matrix) for c, dark in enumerate(row) if dark}


async def test_the_ticket_prints_the_plate_sector_period_and_serial_and_its_qr_carries_the_signed_token(
    subs,  # noqa: ANN001
) -> None:
    citizen, certification, plate = await subs.resident("S2")
    subscription = await subs.active_subscription(citizen, certification, plate)

    response = await subs.ticket(subscription["id"], citizen.headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="contrassegno-{subscription["serial"]}.pdf"'
    )
    assert response.headers["cache-control"] == "private, no-store"
    text = _pdf_text(response.content)
    for expected in (
        "Contrassegno sosta residenti",
        "Comune di Caserta",
        subscription["plate"],
        "S2 – Settore S2",
        "Residenti – annuale",
        f"Valido dal {format_date(date.fromisoformat(subscription['valid_from']))} "
        f"al {format_date(date.fromisoformat(subscription['valid_until']))}",
        subscription["serial"],
        "ben visibile sul cruscotto",
    ):
        assert expected in text, expected
    assert re.fullmatch(rf"CE-{subs.today().year}-\d{{6}}", subscription["serial"])

    # No QR decoder is installed here: the code drawn in the PDF is compared, module by module,
    # with the one segno builds from the ticket's token; the token verifies offline.
    token = await subs.token_of(subscription["id"])
    assert _qr_modules_in(response.content) == _qr_modules_of(token)
    assert segno.make_qr(token, error="m").version <= 10
    claims = verify_ticket(token, keys_from_document(await subs.keys_document())).claims
    assert (claims.serial, claims.plate, claims.sector_code) == (
        subscription["serial"],
        subscription["plate"],
        "S2",
    )
    assert (claims.valid_from.isoformat(), claims.valid_until.isoformat()) == (
        subscription["valid_from"],
        subscription["valid_until"],
    )


async def test_every_download_prints_the_same_ticket(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    subscription = await subs.active_subscription(citizen, certification, plate)
    first = await subs.ticket(subscription["id"], citizen.headers)
    token = await subs.token_of(subscription["id"])
    second = await subs.ticket(subscription["id"], citizen.headers)
    assert await subs.token_of(subscription["id"]) == token
    assert _qr_modules_in(first.content) == _qr_modules_in(second.content) == _qr_modules_of(token)


async def test_a_citizen_cannot_get_another_citizens_ticket_but_an_operator_can(subs) -> None:  # noqa: ANN001
    citizen, certification, plate = await subs.resident()
    subscription = await subs.active_subscription(citizen, certification, plate)

    other = await subs.ticket(subscription["id"], subs.citizen().headers)
    unknown = await subs.ticket(uuid.uuid4(), citizen.headers)
    anonymous = await subs.ticket(subscription["id"], {})
    operator = await subs.ticket(subscription["id"], subs.operator())

    assert (other.status_code, other.json()["code"]) == (404, "subscription_not_found")
    # Answered like an unknown id: its existence is never confirmed.
    assert (unknown.status_code, unknown.json()["detail"]) == (404, other.json()["detail"])
    assert anonymous.status_code == 401
    assert operator.status_code == 200
    assert subscription["plate"] in _pdf_text(operator.content)


async def test_an_ended_or_revoked_subscription_has_no_ticket(subs) -> None:  # noqa: ANN001
    citizen, _, plate = await subs.resident()
    today = subs.today()
    ended = await subs.add_subscription(
        citizen, plate, Period(today - timedelta(days=400), today - timedelta(days=36))
    )
    response = await subs.ticket(ended, citizen.headers)
    assert (response.status_code, response.json()["code"]) == (409, "ticket_not_available")
    assert response.json()["detail"] == (
        f"L'abbonamento è scaduto il {format_date(today - timedelta(days=36))}: il contrassegno non è più valido."
    )
    listed = await subs.my_subscription(citizen, id=str(ended))
    assert (listed["status"], listed["ticket_available"]) == ("expired", False)

    current = await subs.add_subscription(
        citizen, plate, Period(today - timedelta(days=10), today + timedelta(days=300))
    )
    assert (await subs.my_subscription(citizen, id=str(current)))["ticket_available"] is True
    stored = await subs.stored_request((await subs.my_subscription(citizen, id=str(current)))["request_id"])
    await subs.dissociate(citizen, plate, stored.plate)
    response = await subs.ticket(current, citizen.headers)
    assert (response.status_code, response.json()["code"]) == (409, "ticket_not_available")
    assert response.json()["detail"] == (
        f"L'abbonamento è stato revocato il {format_date(today)}: il contrassegno non è più valido."
    )


async def test_serials_are_consecutive_within_the_year(make_subs) -> None:  # noqa: ANN001
    subs = await make_subs()
    year = subs.today().year
    serials = []
    for _ in range(3):
        citizen, certification, plate = await subs.resident()
        serials.append((await subs.active_subscription(citizen, certification, plate))["serial"])
    assert serials == [f"CE-{year}-000001", f"CE-{year}-000002", f"CE-{year}-000003"]


async def test_the_first_key_is_created_on_start_and_published_cacheable(make_subs) -> None:  # noqa: ANN001
    subs = await make_subs()
    response = await subs.client.get(subs.url("/.well-known/ticket-keys.json"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"
    (key,) = response.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert re.fullmatch(r"[a-z0-9]{8}", key["kid"]) and len(key["x"]) == 43


async def test_a_ticket_signed_by_a_rotated_out_key_verifies_while_its_key_is_published(make_subs) -> None:  # noqa: ANN001
    clock = MovableClock()
    subs = await make_subs(clock=clock)
    citizen, certification, plate = await subs.resident()
    before = await subs.active_subscription(citizen, certification, plate)
    assert (await subs.ticket(before["id"], citizen.headers)).status_code == 200
    old_token = await subs.token_of(before["id"])
    (old,) = [k["kid"] for k in (await subs.keys_document())["keys"]]

    new_key = await subs.runtime.ticket_keys.rotate(subs.db)
    # Published at once, signing a day later (devices fetch it first).
    assert [k["kid"] for k in (await subs.keys_document())["keys"]] == [new_key.kid, old]
    citizen_2, certification_2, plate_2 = await subs.resident()
    meanwhile = await subs.active_subscription(citizen_2, certification_2, plate_2)
    await subs.ticket(meanwhile["id"], citizen_2.headers)
    assert (await subs.token_of(meanwhile["id"])).split(".")[1] == old

    clock.advance(timedelta(days=1, minutes=1))
    citizen_3, certification_3, plate_3 = await subs.resident()
    after = await subs.active_subscription(citizen_3, certification_3, plate_3)
    await subs.ticket(after["id"], citizen_3.headers)
    new_token = await subs.token_of(after["id"])
    assert new_token.split(".")[1] == new_key.kid

    keys = keys_from_document(await subs.keys_document())
    assert set(keys) == {new_key.kid, old}
    assert verify_ticket(old_token, keys).claims.serial == before["serial"]
    assert verify_ticket(new_token, keys).claims.serial == after["serial"]
    # A download after the rotation still prints the ticket first issued.
    await subs.ticket(before["id"], citizen.headers)
    assert await subs.token_of(before["id"]) == old_token

    # Once every subscription whose ticket the old key signed has ended, it is withdrawn.
    clock.advance(timedelta(days=400))
    keys = keys_from_document(await subs.keys_document())
    assert set(keys) == {new_key.kid}
    with pytest.raises(TicketInvalid) as refused:
        verify_ticket(old_token, keys)
    assert refused.value.code == "unknown_key"


async def test_an_immediate_rotation_withdraws_every_key_and_tickets_are_signed_anew(
    make_subs,  # noqa: ANN001
    capsys: pytest.CaptureFixture[str],
) -> None:
    subs = await make_subs()
    citizen, certification, plate = await subs.resident()
    subscription = await subs.active_subscription(citizen, certification, plate)
    await subs.ticket(subscription["id"], citizen.headers)
    leaked = await subs.token_of(subscription["id"])

    await rotate_ticket_key(subs.settings, argparse.Namespace(immediately=True))
    assert "Nuova chiave dei contrassegni" in capsys.readouterr().out

    keys = keys_from_document(await subs.keys_document())
    assert len(keys) == 1 and leaked.split(".")[1] not in keys
    with pytest.raises(TicketInvalid):
        verify_ticket(leaked, keys)
    response = await subs.ticket(subscription["id"], citizen.headers)
    assert response.status_code == 200
    fresh = await subs.token_of(subscription["id"])
    assert fresh != leaked
    assert _qr_modules_in(response.content) == _qr_modules_of(fresh)
    assert verify_ticket(fresh, keys).claims.serial == subscription["serial"]


def test_production_refuses_the_development_ticket_keys_secret() -> None:
    import secrets

    from pydantic import ValidationError

    from subscriptions.settings import Settings

    # Everything else as production sets it (kit.settings refuses any development value).
    production = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://subscriptions:anything@127.0.0.1:5432/parking_subscriptions",
        "amqp_url": f"amqp://subscriptions:{secrets.token_urlsafe(16)}@127.0.0.1:5672/",
    }
    with pytest.raises(ValidationError, match="TICKET_KEYS_SECRET"):
        Settings(**production)
    assert Settings(**production, ticket_keys_secret="x" * 32).environment == "production"
