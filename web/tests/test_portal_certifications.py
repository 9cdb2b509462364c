"""Fase 6: "Nuova Certificazione", the self-certification form as a PDF, and what the citizen
reads on the dashboard once the request is sent."""

import html
import re

import httpx
import pytest

from portal.api import UNAVAILABLE_MESSAGE
from portal.forms import FILES_AGAIN

SECTORS = "/api/certifications/sectors"
SUGGESTED = "/api/certifications/sectors/suggested"
REQUESTS = "/api/certifications/requests"
FORM = "/api/certifications/form"
CENTRO = {
    "code": "A1",
    "name": "Settore A1 – Centro storico",
    "description": "Il centro della città.",
    "streets": ["Via Roma", "Corso Trieste"],
    "active": True,
}
ACQUAVIVA = {
    "code": "B2",
    "name": "Settore B2 – Acquaviva",
    "description": "",
    "streets": ["Via Acquaviva"],
    "active": True,
}
RETIRED = {"code": "Z9", "name": "Settore dismesso", "description": "", "streets": [], "active": False}
CREATED = {
    "id": "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "sector_code": "B2",
    "sector_name": ACQUAVIVA["name"],
    "status": "pending",
    "status_label": "In attesa di esito",
    "submitted_at": "2026-03-02T09:15:00Z",
    "decided_at": None,
    "outcome_reason": None,
    "valid_until": None,
}
IDENTITY = ("carta.pdf", b"%PDF-1.7 carta d'identita", "application/pdf")
SELF_CERTIFICATION = ("autocertificazione.jpg", b"\xff\xd8\xff jpeg", "image/jpeg")


@pytest.fixture
def catalogue(gateway, make_page):
    gateway.on("GET", SECTORS, make_page([CENTRO, ACQUAVIVA, RETIRED]))
    gateway.on(
        "GET", SUGGESTED, httpx.Response(200, json={"sector": ACQUAVIVA, "address": "Via Acquaviva 3"})
    )


def selected(page: str, name: str) -> str | None:
    select = page[
        page.index(f'<select id="{name}"') : page.index("</select>", page.index(f'<select id="{name}"'))
    ]
    match = re.search(r'<option value="([^"]*)" selected>', select)
    return match.group(1) if match else None


def options(page: str, name: str) -> list[str]:
    start = page.index(f'<select id="{name}"')
    return re.findall(r'<option value="([^"]+)"', page[start : page.index("</select>", start)])


def field_error(page: str, name: str) -> str:
    match = re.search(
        rf'<div class="invalid-feedback portal-field-error" id="{name}-error">(.*?)</div>', page, re.S
    )
    assert match, f"no error next to {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


async def test_the_form_offers_the_active_sectors_and_preselects_the_one_of_the_residence(
    client, login_as, catalogue, a11y_problems
):
    await login_as("citizen")
    response = await client.get("/certificazioni/nuova")
    page = response.text

    assert response.status_code == 200
    assert '<label for="sector_code">Tipo di Autocertificazione</label>' in page
    assert options(page, "sector_code") == ["A1", "B2"]
    assert selected(page, "sector_code") == "B2"
    assert "il tuo indirizzo di residenza (Via Acquaviva 3)" in html.unescape(page)
    # Without JavaScript the link asks for the preselected sector's form; the script follows the select.
    assert re.search(
        r'<a href="/certificazioni/modulo\?settore=B2" data-form-download '
        r'data-base-href="/certificazioni/modulo">Scarica il modulo qui</a>',
        page,
    )
    assert re.search(r'<script defer src="/static/js/certificazione\.js\?v=[0-9a-f]{12}"></script>', page)
    for name, label in (
        ("identity_document", "Documento d&#39;identità"),
        ("self_certification", "Autocertificazione di residenza"),
    ):
        assert f'<label for="{name}" class="active">{label}</label>' in page
        tag = re.search(rf'<input type="file" id="{name}"[^>]*>', page).group(0)
        assert 'accept=".pdf,.jpg,.jpeg,.png"' in tag and f'aria-describedby="{name}-help"' in tag
    assert "PDF, JPEG o PNG, massimo 10 MB" in page
    assert 'enctype="multipart/form-data"' in page
    assert '<button type="submit" class="btn btn-primary">Invia Richiesta</button>' in page
    assert a11y_problems(page) == []


@pytest.mark.parametrize(
    "answer, preselected",
    [
        (httpx.Response(200, json=CENTRO), "A1"),  # the bare sector
        (httpx.Response(200, json={"sector": None, "address": None}), None),
        (httpx.Response(200, json=None), None),
        (httpx.Response(200, json={"sector": RETIRED, "address": "Via Vecchia"}), None),
        (httpx.Response(503), None),
    ],
    ids=["bare-sector", "no-sector", "null", "inactive-sector", "unavailable"],
)
async def test_the_preselection_follows_whatever_the_suggestion_says(
    client, gateway, login_as, catalogue, answer, preselected
):
    await login_as("citizen")
    gateway.on("GET", SUGGESTED, answer, contract=False)  # shapes the service may not send, on purpose
    page = (await client.get("/certificazioni/nuova")).text
    assert selected(page, "sector_code") == preselected
    link = re.search(r'<a href="([^"]+)" data-form-download', page).group(1)
    assert link == (
        f"/certificazioni/modulo?settore={preselected}" if preselected else "/certificazioni/modulo"
    )


async def test_sending_the_request_posts_the_sector_and_both_files_then_the_dashboard_says_so(
    client, gateway, login_as, csrf, catalogue, multipart_of, make_page
):
    await login_as("citizen")
    received = []

    async def service(request: httpx.Request) -> httpx.Response:
        received.append(await multipart_of(request))
        return httpx.Response(201, json=CREATED)

    gateway.on("POST", REQUESTS, service)
    response = await client.post(
        "/certificazioni/nuova",
        data={"sector_code": "B2", "csrf_token": await csrf("/certificazioni/nuova")},
        files={"identity_document": IDENTITY, "self_certification": SELF_CERTIFICATION},
    )

    assert response.status_code == 303 and response.headers["location"] == "/dashboard#certificazioni"
    assert received == [
        {
            "sector_code": "B2",
            "identity_document": ("carta.pdf", "application/pdf", IDENTITY[1]),
            "self_certification": ("autocertificazione.jpg", "image/jpeg", SELF_CERTIFICATION[1]),
        }
    ]
    assert gateway.calls("POST", REQUESTS)[0].headers["authorization"] == "Bearer access-1"

    gateway.on("GET", REQUESTS, make_page([CREATED]))
    dashboard = (await client.get("/dashboard")).text
    section = dashboard[dashboard.index('id="certificazioni"') : dashboard.index('id="targhe"')]
    assert re.search(
        r'<div role="status" data-messages>\s*<div class="alert alert-success">La richiesta di certificazione',
        section,
    )
    # Shown once: the message is not repeated at the top of the page.
    assert dashboard.count("La richiesta di certificazione è stata inviata") == 1


async def test_a_refused_request_shows_each_message_next_to_its_field_and_keeps_the_sector(
    client, gateway, login_as, csrf, catalogue, make_problem, multipart_of, a11y_problems
):
    await login_as("citizen")
    received = []

    async def service(request: httpx.Request) -> httpx.Response:
        received.append(await multipart_of(request))
        return make_problem(
            422,
            "validation_failed",
            "Controlla i dati inseriti.",
            [
                {
                    "field": "identity_document",
                    "code": "required",
                    "message": "Allega un documento d'identità.",
                },
                {"field": "self_certification", "code": "too_large", "message": "Il file supera 10 MB."},
            ],
        )

    gateway.on("POST", REQUESTS, service)
    response = await client.post(
        "/certificazioni/nuova",
        data={"sector_code": "A1", "csrf_token": await csrf("/certificazioni/nuova")},
        # No file chosen: the browser sends an empty part without a name.
        files={
            "identity_document": ("", b"", "application/octet-stream"),
            "self_certification": SELF_CERTIFICATION,
        },
    )
    page = response.text

    assert response.status_code == 422
    # What was not chosen is not sent: the service says it is required.
    assert set(received[0]) == {"sector_code", "self_certification"}
    assert field_error(page, "identity_document") == "Allega un documento d'identità."
    assert field_error(page, "self_certification") == "Il file supera 10 MB."
    tag = re.search(r'<input type="file" id="identity_document"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in tag
    assert 'aria-describedby="identity_document-help identity_document-error"' in tag
    assert selected(page, "sector_code") == "A1"
    assert FILES_AGAIN in html.unescape(page)
    assert a11y_problems(page) == []


async def test_when_the_service_does_not_answer_the_choice_is_kept_even_without_the_catalogue(
    client, gateway, login_as, csrf, catalogue
):
    await login_as("citizen")
    token = await csrf("/certificazioni/nuova")
    gateway.on("POST", REQUESTS, httpx.Response(503, text="Service Unavailable"))
    gateway.on("GET", SECTORS, httpx.Response(503, text="Service Unavailable"))
    response = await client.post(
        "/certificazioni/nuova",
        data={"sector_code": "B2", "csrf_token": token},
        files={"identity_document": IDENTITY, "self_certification": SELF_CERTIFICATION},
    )
    page = html.unescape(response.text)

    assert response.status_code == 503
    assert UNAVAILABLE_MESSAGE in page and FILES_AGAIN in page
    assert selected(response.text, "sector_code") == "B2"


async def test_the_self_certification_form_is_streamed_from_the_service_with_its_headers(
    client, gateway, login_as
):
    await login_as("citizen")
    chunks = [b"%PDF-1.7\n", b"x" * 70_000, b"%%EOF\n"]

    async def pdf():
        for chunk in chunks:
            yield chunk

    gateway.on(
        "GET",
        FORM,
        lambda request: httpx.Response(
            200,
            content=pdf(),
            headers={
                "content-type": "application/pdf",
                "content-disposition": 'attachment; filename="autocertificazione-B2.pdf"',
            },
        ),
    )
    response = await client.get("/certificazioni/modulo", params={"settore": "B2"})

    assert response.status_code == 200
    assert response.content == b"".join(chunks)
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="autocertificazione-B2.pdf"'
    assert response.headers["x-content-type-options"] == "nosniff"
    call = gateway.calls("GET", FORM)[0]
    assert call.url.params["sector_code"] == "B2"
    assert call.headers["authorization"] == "Bearer access-1"


async def test_a_form_the_service_cannot_make_leads_back_to_the_request_page_with_its_reason(
    client, gateway, login_as, make_problem
):
    await login_as("citizen")
    gateway.on("GET", FORM, make_problem(404, "sector_not_found", "Il settore indicato non esiste."))
    response = await client.get("/certificazioni/modulo", params={"settore": "XX"})
    assert response.status_code == 303 and response.headers["location"] == "/certificazioni/nuova"
    assert "Il settore indicato non esiste." in (await client.get("/dashboard")).text


async def test_the_request_pages_belong_to_citizens(client, gateway, login_as):
    anonymous = await client.get("/certificazioni/nuova")
    assert (
        anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/certificazioni/nuova"
    )
    await login_as("operator")
    for path in ("/certificazioni/nuova", "/certificazioni/modulo?settore=A1"):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "riservata ai cittadini" in response.text
    assert gateway.calls("GET", SECTORS) == [] and gateway.calls("GET", FORM) == []
