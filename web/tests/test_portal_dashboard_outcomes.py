"""The dashboard once certifications and plates exist: each request's status in the service's
words and its outcome, and the plates associated under the plate requests."""

import html
import re

import httpx

CERTIFICATIONS = "/api/certifications/requests"
PLATE_REQUESTS = "/api/vehicles/requests"
PLATES = "/api/vehicles/plates"


def part(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return html.unescape(page[start : page.index("</section>", start)])


def rows(part: str) -> list[list[str]]:
    body = part[part.index("<tbody>") : part.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def test_rows_say_the_status_in_the_services_words_and_the_outcome(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("citizen")
    gateway.on(
        "GET",
        CERTIFICATIONS,
        make_page(
            [
                {
                    "id": "5b0e1f9a-4c1e-4d0b-9c59-0c0a2a7b9d11",
                    "sector_code": "A1",
                    "sector_name": "Centro storico",
                    "status": "approved",
                    "status_label": "Approvata",
                    "submitted_at": "2026-03-01T10:00:00Z",
                    "decided_at": "2026-03-03T10:00:00Z",
                    "outcome_reason": None,
                    "valid_until": "2027-03-02",
                },
                {
                    "id": "0f7c4b8e-2a51-4f3a-8a3e-6f1b0e9d2c47",
                    "sector_code": "A1",
                    "sector_name": "Centro storico",
                    "status": "rejected",
                    "status_label": "Rifiutata",
                    "submitted_at": "2026-02-10T10:00:00Z",
                    "decided_at": "2026-02-11T10:00:00Z",
                    "outcome_reason": "Il documento d'identità è scaduto.",
                    "valid_until": None,
                },
                {
                    "id": "1a7c4b8e-2a51-4f3a-8a3e-6f1b0e9d2c47",
                    "sector_code": "A1",
                    "sector_name": "Centro storico",
                    "status": "pending",
                    "status_label": "In attesa di esito",
                    "submitted_at": "2026-03-05T10:00:00Z",
                },
            ]
        ),
    )
    gateway.on(
        "GET",
        PLATE_REQUESTS,
        make_page(
            [
                {
                    "id": "9d2c4b7e-1a3f-4e5d-8b6a-7c0d1e2f3a4b",
                    "plate": "AB123CD",
                    "make": "Fiat",
                    "model": "Panda",
                    "fuel": "benzina",
                    "status": "approved",
                    "status_label": "Approvata",
                    "submitted_at": "2026-04-10T10:00:00Z",
                    "decided_at": "2026-04-11T10:00:00Z",
                    "outcome_reason": None,
                }
            ]
        ),
    )
    page = (await client.get("/dashboard")).text

    assert rows(part(page, "certificazioni")) == [
        ["01/03/2026", "Approvata", "Valida fino al 02/03/2027"],
        ["10/02/2026", "Rifiutata", "Motivo: Il documento d'identità è scaduto."],
        ["05/03/2026", "In attesa di esito", "—"],
    ]
    assert '<span class="badge bg-success">Approvata</span>' in page
    assert '<span class="badge bg-danger">Rifiutata</span>' in page
    assert rows(part(page, "targhe")) == [["10/04/2026", "AB123CD", "Approvata", "—"]]
    assert a11y_problems(page) == []


async def test_targhe_associate_sits_in_the_plates_section_below_its_requests(
    client, gateway, login_as, make_page, a11y_problems
):
    await login_as("citizen")
    gateway.on(
        "GET",
        PLATES,
        make_page(
            [
                {
                    "id": "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
                    "plate": "EV001AA",
                    "make": "Renault",
                    "model": "Zoe",
                    "electric": True,
                    "associated_at": "2026-05-01T22:30:00Z",
                }
            ]
        ),
    )
    page = (await client.get("/dashboard")).text
    main = page[page.index("<main") : page.index("</main>")]

    assert re.findall(r"<h([23])[^>]*>([^<]+)</h[23]>", main) == [
        ("2", "Richieste Certificazioni"),
        ("2", "Richieste Associazione Targa"),
        ("3", "Targhe Associate"),
        ("2", "Richieste Abbonamento"),
        ("3", "Abbonamenti Associati"),
    ]
    plates_part = part(page, "targhe-associate")
    assert rows(plates_part) == [["EV001AA", "Renault Zoe", "Sì", "02/05/2026", "Rimuovi la targa EV001AA"]]
    assert page.count("Nessuna richiesta presente.") == 3
    assert a11y_problems(page) == []


async def test_no_plate_yet_reads_as_such(client, login_as):
    await login_as("citizen")
    page = (await client.get("/dashboard")).text
    assert "Nessuna targa associata." in part(page, "targhe-associate")


async def test_plates_that_cannot_be_read_degrade_only_their_list(client, gateway, login_as):
    await login_as("citizen")
    gateway.on("GET", PLATES, httpx.Response(503))
    page = (await client.get("/dashboard")).text
    assert "Le targhe associate non sono al momento disponibili." in part(page, "targhe-associate")
    assert page.count("Nessuna richiesta presente.") == 3
    assert "Le richieste di questa sezione non sono al momento disponibili" not in page
