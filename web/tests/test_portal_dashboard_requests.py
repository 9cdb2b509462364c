"""The dashboard's three lists: the citizen's own requests, one per service, asked at once;
each section shows what its own service answered, whatever the others do."""

import asyncio
import html
import re

import httpx
import pytest

UNAVAILABLE = "Le richieste di questa sezione non sono al momento disponibili. Riprova tra qualche minuto."


def section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return html.unescape(page[start : page.index("</section>", start)])


def rows(part: str) -> list[list[str]]:
    body = part[part.index("<tbody>") : part.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def test_each_section_lists_its_requests_with_the_date_in_rome_and_the_status_in_words(
    client, gateway, login_as, make_page, request_lists
):
    await login_as("citizen")
    gateway.on(
        "GET",
        request_lists["certificazioni"],
        make_page(
            [
                # 23:30 UTC on 1 March is already 2 March in Caserta.
                {
                    "id": "5b0e1f9a-4c1e-4d0b-9c59-0c0a2a7b9d11",
                    "status": "approved",
                    "submitted_at": "2026-03-01T23:30:00Z",
                },
                {
                    "id": "0f7c4b8e-2a51-4f3a-8a3e-6f1b0e9d2c47",
                    "status": "pending",
                    "submitted_at": "2026-07-15T08:00:00+00:00",
                },
            ]
        ),
    )
    gateway.on(
        "GET",
        request_lists["targhe"],
        make_page(
            [
                {
                    "id": "9d2c4b7e-1a3f-4e5d-8b6a-7c0d1e2f3a4b",
                    "plate": "ZZ999ZZ",
                    "status": "rejected",
                    "submitted_at": "2026-04-10T10:00:00Z",
                    "outcome_reason": "Il libretto di circolazione non è leggibile.",
                },
                {
                    "id": "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b",
                    "plate": "AB123CD",
                    "status": "approved",
                    "submitted_at": "2026-04-10T09:00:00Z",
                },
            ]
        ),
    )
    page = (await client.get("/dashboard")).text

    certifications = section(page, "certificazioni")
    assert "<caption" in certifications and 'scope="col">Presentata il<' in certifications
    assert rows(certifications) == [
        ["02/03/2026", "Approvata", "—"],
        ["15/07/2026", "In attesa di verifica", "—"],
    ]
    # Several plates may be asked for at once: each row names its plate.
    targhe = section(page, "targhe")
    assert 'scope="col">Targa<' in targhe
    assert rows(targhe) == [
        ["10/04/2026", "ZZ999ZZ", "Respinta", "Motivo: Il libretto di circolazione non è leggibile."],
        ["10/04/2026", "AB123CD", "Approvata", "—"],
    ]
    assert "Nessuna richiesta presente." in section(page, "abbonamenti")
    assert page.count("Nessuna richiesta presente.") == 1
    for path in request_lists.values():
        assert gateway.calls("GET", path)[-1].headers["authorization"] == "Bearer access-1"


def _connection_refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    "answer",
    [
        _connection_refused,
        httpx.Response(503, text="Service Unavailable"),
        httpx.Response(404, json={"code": "not_found", "detail": "Not Found"}),
        httpx.Response(200, json=[{"id": "x"}]),  # not the page envelope
    ],
    ids=["no-answer", "5xx", "4xx", "other-shape"],
)
async def test_a_service_that_does_not_answer_degrades_only_its_own_section(
    client, gateway, login_as, make_page, request_lists, answer
):
    await login_as("citizen")
    gateway.on(
        "GET",
        request_lists["abbonamenti"],
        make_page(
            [
                {
                    "id": "1c9e8d7f-6b5a-4c3d-9e2f-1a0b9c8d7e6f",
                    "status": "pending",
                    "submitted_at": "2026-05-02T09:00:00Z",
                }
            ]
        ),
    )
    gateway.on("GET", request_lists["targhe"], answer, contract=False)  # broken on purpose
    response = await client.get("/dashboard")

    assert response.status_code == 200
    assert UNAVAILABLE in section(response.text, "targhe")
    assert "Nessuna richiesta presente." not in section(response.text, "targhe")
    assert html.unescape(response.text).count(UNAVAILABLE) == 1
    assert "Nessuna richiesta presente." in section(response.text, "certificazioni")
    # Presentata il, Targa, Abbonamento, Stato, Esito, Azioni (the request carries no plate nor type).
    assert rows(section(response.text, "abbonamenti")) == [
        ["02/05/2026", "—", "—", "In attesa di verifica", "—", "—"]
    ]


async def test_the_three_lists_are_asked_at_once(client, gateway, login_as, make_page, request_lists):
    await login_as("citizen")
    everyone_asked = asyncio.Event()
    waiting = 0

    async def held(request: httpx.Request) -> httpx.Response:
        # Each answer waits for the three requests: asked one after the other, the first two
        # would time out and their sections show the unavailability message.
        nonlocal waiting
        waiting += 1
        if waiting == len(request_lists):
            everyone_asked.set()
        try:
            await asyncio.wait_for(everyone_asked.wait(), timeout=2)
        except TimeoutError:
            return httpx.Response(504, text="held too long")
        return make_page([])

    for path in request_lists.values():
        gateway.on("GET", path, held)
    page = (await client.get("/dashboard")).text

    assert everyone_asked.is_set()
    assert UNAVAILABLE not in html.unescape(page)
    assert page.count("Nessuna richiesta presente.") == 3


async def test_an_expired_session_on_the_dashboard_leads_to_login_not_to_degraded_sections(
    client, gateway, login_as, make_problem, request_lists
):
    await login_as("citizen")
    for path in request_lists.values():
        gateway.on("GET", path, make_problem(401, "unauthenticated", "Sessione non valida."))
    gateway.on(
        "POST", "/api/identity/auth/refresh", make_problem(401, "refresh_token_reused", "Sessione revocata.")
    )
    response = await client.get("/dashboard")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/dashboard"
