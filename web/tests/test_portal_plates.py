"""Fasi 7–8: "Nuova Targa" and the removal of a plate from "Targhe Associate"."""

import html
import re

import httpx
import pytest

from portal.api import UNAVAILABLE_MESSAGE
from portal.forms import FILES_AGAIN

REQUESTS = "/api/vehicles/requests"
PLATES = "/api/vehicles/plates"
PLATE_ID = "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
PLATE = {
    "id": PLATE_ID,
    "plate": "AB123CD",
    "make": "Fiat",
    "model": "Panda",
    "electric": False,
    "associated_at": "2026-04-01T10:00:00Z",
}
CREATED = {
    "id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    "plate": "AB123CD",
    "make": "Fiat",
    "model": "Panda",
    "fuel": "benzina",
    "status": "pending",
    "status_label": "In attesa di esito",
    "submitted_at": "2026-03-02T09:15:00Z",
    "decided_at": None,
    "outcome_reason": None,
}
TYPED = {
    "plate": "ab 123 cd",
    "plate_confirmation": "AB123CD",
    "foreign": "false",
    "make": "Fiat",
    "model": "Panda",
    "fuel": "elettrica",
    "owned": "false",
}
LIBRETTO = ("libretto.pdf", b"%PDF-1.7 libretto", "application/pdf")
ATTESTATION = ("attestazione.png", b"\x89PNG attestazione", "image/png")
NOT_CHOSEN = ("", b"", "application/octet-stream")


def field_error(page: str, name: str) -> str:
    match = re.search(
        rf'<div class="invalid-feedback portal-field-error" id="{name}-error">(.*?)</div>', page, re.S
    )
    assert match, f"no error next to {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def associated_plates(page: str) -> str:
    start = page.index('id="targhe-associate"')
    return html.unescape(page[start : page.index("</section>", start)])


def checked(page: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" id="[^"]*" name="{name}" value="([^"]+)" checked', page)


async def test_the_form_asks_everything_of_the_manual_with_radio_groups_in_fieldsets(
    client, login_as, a11y_problems
):
    await login_as("citizen")
    response = await client.get("/targhe/nuova")
    page = response.text

    assert response.status_code == 200
    for name, label in (
        ("plate", "Targa"),
        ("plate_confirmation", "Conferma targa"),
        ("make", "Marca"),
        ("model", "Modello"),
        ("registration_document", "Libretto di circolazione"),
        ("availability_attestation", "Attestazione di disponibilità"),
    ):
        assert f'<label for="{name}" class="active">{label}</label>' in page, name
    assert '<label for="fuel">Alimentazione</label>' in page
    assert re.findall(r'<option value="([a-z]+)">', page) == [
        "benzina",
        "diesel",
        "gpl",
        "metano",
        "ibrida",
        "elettrica",
    ]
    assert "<legend>Tipo di targa</legend>" in page
    assert '<label for="foreign">Targa italiana</label>' in page and "Targa estera</label>" in page
    assert checked(page, "foreign") == ["false"]
    assert "<legend>Il veicolo è intestato a me</legend>" in page
    # The citizen must say it: no answer is preselected.
    assert checked(page, "owned") == []
    assert 'aria-describedby="owned-help"' in page and "attestazione di disponibilità" in page
    assert re.search(r'id="registration_document"[^>]*required', page)
    assert not re.search(r'id="availability_attestation"[^>]*required', page)
    assert '<button type="submit" class="btn btn-primary">Invia Richiesta</button>' in page
    assert a11y_problems(page) == []


async def test_sending_the_request_posts_every_field_and_both_files_then_the_dashboard_says_so(
    client, gateway, login_as, csrf, multipart_of
):
    await login_as("citizen")
    received = []

    async def service(request: httpx.Request) -> httpx.Response:
        received.append(await multipart_of(request))
        return httpx.Response(201, json=CREATED)

    gateway.on("POST", REQUESTS, service)
    response = await client.post(
        "/targhe/nuova",
        data={**TYPED, "csrf_token": await csrf("/targhe/nuova")},
        files={"registration_document": LIBRETTO, "availability_attestation": ATTESTATION},
    )

    assert response.status_code == 303 and response.headers["location"] == "/dashboard#targhe"
    assert received == [
        {
            **TYPED,
            "registration_document": ("libretto.pdf", "application/pdf", LIBRETTO[1]),
            "availability_attestation": ("attestazione.png", "image/png", ATTESTATION[1]),
        }
    ]
    assert gateway.calls("POST", REQUESTS)[0].headers["authorization"] == "Bearer access-1"
    dashboard = (await client.get("/dashboard")).text
    section = dashboard[dashboard.index('id="targhe"') : dashboard.index('id="targhe-associate"')]
    assert "La richiesta di associazione targa è stata inviata" in section


async def test_an_attestation_not_chosen_is_not_sent(client, gateway, login_as, csrf, multipart_of):
    await login_as("citizen")
    received = []

    async def service(request: httpx.Request) -> httpx.Response:
        received.append(await multipart_of(request))
        return httpx.Response(201, json=CREATED)

    gateway.on("POST", REQUESTS, service)
    await client.post(
        "/targhe/nuova",
        data={**TYPED, "owned": "true", "csrf_token": await csrf("/targhe/nuova")},
        files={"registration_document": LIBRETTO, "availability_attestation": NOT_CHOSEN},
    )
    assert "availability_attestation" not in received[0] and received[0]["owned"] == "true"


async def test_refused_fields_get_their_message_next_to_them_and_every_value_typed_stays(
    client, gateway, login_as, csrf, make_problem, a11y_problems
):
    await login_as("citizen")
    gateway.on(
        "POST",
        REQUESTS,
        make_problem(
            422,
            "validation_failed",
            "Controlla i dati inseriti.",
            [
                {
                    "field": "plate_confirmation",
                    "code": "plate_mismatch",
                    "message": "Le due targhe non coincidono.",
                },
                {
                    "field": "availability_attestation",
                    "code": "required",
                    "message": "Allega l'attestazione di disponibilità del veicolo.",
                },
            ],
        ),
    )
    response = await client.post(
        "/targhe/nuova",
        data={**TYPED, "plate_confirmation": "AB123CE", "csrf_token": await csrf("/targhe/nuova")},
        files={"registration_document": LIBRETTO, "availability_attestation": NOT_CHOSEN},
    )
    page = response.text

    assert response.status_code == 422
    assert field_error(page, "plate_confirmation") == "Le due targhe non coincidono."
    assert (
        field_error(page, "availability_attestation") == "Allega l'attestazione di disponibilità del veicolo."
    )
    assert re.search(
        r'id="plate_confirmation"[^>]*aria-describedby="plate_confirmation-help plate_confirmation-error"',
        page,
    )
    assert 'value="ab 123 cd"' in page and 'value="AB123CE"' in page
    assert 'value="Fiat"' in page and 'value="Panda"' in page
    assert '<option value="elettrica" selected>' in page
    assert checked(page, "owned") == ["false"] and checked(page, "foreign") == ["false"]
    assert FILES_AGAIN in html.unescape(page)
    assert "Dopo un errore il file va selezionato di nuovo." in page
    assert a11y_problems(page) == []


async def test_when_the_service_does_not_answer_every_value_typed_stays(client, gateway, login_as, csrf):
    await login_as("citizen")
    gateway.on("POST", REQUESTS, httpx.Response(502, text="Bad Gateway"))
    response = await client.post(
        "/targhe/nuova",
        data={**TYPED, "foreign": "true", "csrf_token": await csrf("/targhe/nuova")},
        files={"registration_document": LIBRETTO},
    )
    page = html.unescape(response.text)
    assert response.status_code == 503
    assert UNAVAILABLE_MESSAGE in page and FILES_AGAIN in page
    assert 'value="ab 123 cd"' in page and checked(response.text, "foreign") == ["true"]


async def test_removing_a_plate_asks_for_confirmation_then_deletes_the_association(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("citizen")
    gateway.on("GET", PLATES, make_page([PLATE]))
    dashboard = (await client.get("/dashboard")).text
    associated = associated_plates(dashboard)
    assert "AB123CD" in associated and "Fiat Panda" in associated and "01/04/2026" in associated
    assert (
        f'href="/targhe/{PLATE_ID}/rimuovi">Rimuovi<span class="visually-hidden"> la targa AB123CD</span>'
        in associated
    )

    confirmation = await client.get(f"/targhe/{PLATE_ID}/rimuovi")
    assert confirmation.status_code == 200
    assert "Vuoi rimuovere la targa" in confirmation.text and "AB123CD" in confirmation.text
    assert a11y_problems(confirmation.text) == []
    assert gateway.calls("DELETE", f"{PLATES}/{PLATE_ID}") == []

    gateway.on("DELETE", f"{PLATES}/{PLATE_ID}", httpx.Response(204))
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirmation.text).group(1)
    removed = await client.post(f"/targhe/{PLATE_ID}/rimuovi", data={"csrf_token": token})

    assert removed.status_code == 303 and removed.headers["location"] == "/dashboard#targhe-associate"
    assert gateway.calls("DELETE", f"{PLATES}/{PLATE_ID}")[0].headers["authorization"] == "Bearer access-1"
    gateway.on("GET", PLATES, make_page([]))
    after = (await client.get("/dashboard")).text
    associated = associated_plates(after)
    assert "La targa non è più associata al tuo account." in associated
    assert "Nessuna targa associata." in associated


async def test_a_plate_that_is_not_the_citizens_has_no_confirmation_page(
    client, gateway, login_as, make_page
):
    await login_as("citizen")
    gateway.on("GET", PLATES, make_page([PLATE]))
    response = await client.get("/targhe/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/rimuovi")
    assert response.status_code == 404
    assert (await client.get("/targhe/non-un-id/rimuovi")).status_code == 404


async def test_a_removal_the_service_refuses_is_explained_on_the_dashboard(
    client, gateway, login_as, csrf, make_problem
):
    await login_as("citizen")
    gateway.on(
        "DELETE",
        f"{PLATES}/{PLATE_ID}",
        make_problem(409, "plate_in_use", "La targa è usata da un abbonamento attivo."),
    )
    response = await client.post(
        f"/targhe/{PLATE_ID}/rimuovi", data={"csrf_token": await csrf("/targhe/nuova")}
    )
    assert response.status_code == 303
    assert "La targa è usata da un abbonamento attivo." in (await client.get("/dashboard")).text


@pytest.mark.parametrize("path", ["/targhe/nuova", f"/targhe/{PLATE_ID}/rimuovi"])
async def test_the_plate_pages_belong_to_citizens(client, gateway, login_as, path):
    await login_as("admin")
    response = await client.get(path)
    assert response.status_code == 403 and "riservata ai cittadini" in response.text
    assert gateway.calls("GET", PLATES) == []
