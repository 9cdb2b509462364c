"""The frame of every page, as a Comune's site has it: header and footer links that lead
somewhere, the legal pages (the accessibility statement in AgID's model), breadcrumbs, the step
indicator of the citizen's path, the help box and "Valuta questo servizio" (stored by identity,
read by admins in the console)."""

import html
import re
import uuid
from html.parser import HTMLParser

import httpx
import pytest
from asgi_lifespan import LifespanManager

from portal.app import create_app

RATINGS = "/api/identity/ratings"
ADMIN_RATINGS = "/api/identity/admin/ratings"


class _Links(HTMLParser):
    """The href of every <a> inside <header>, <footer> and the help box (the frame)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("header", "footer") or (
            tag == "aside" and "portal-help-band" in (attrs.get("class") or "")
        ):
            self.depth += 1
        if tag == "a" and self.depth and attrs.get("href"):
            self.hrefs.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("header", "footer", "aside") and self.depth:
            self.depth -= 1


def frame_links(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.hrefs


def main_of(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def rating(stars: int, comment: str | None = None, page: str | None = None) -> dict:
    return {
        "rating_id": str(uuid.uuid4()),
        "stars": stars,
        "comment": comment,
        "page": page,
        "created_at": "2026-11-29T23:30:00Z",
    }


# --- header and footer -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [None, "citizen", "operator"])
async def test_every_link_of_the_frame_answers_200(client, login_as, role):
    if role:
        await login_as(role)
    page = (await client.get("/privacy")).text
    links = frame_links(page)
    local = sorted({href.split("#")[0] or "/" for href in links if href.startswith("/")})
    assert {"/note-legali", "/accessibilita", "/dichiarazione-accessibilita", "/media-policy"} <= set(local)
    for href in local:
        # "Area personale" of a visitor leads to the login page first.
        response = await client.get(href, follow_redirects=True)
        assert response.status_code == 200, href
    # Outside the portal: the Comune's site and Amministrazione trasparente, as absolute https.
    external = [href for href in links if not href.startswith(("/", "mailto:", "tel:"))]
    assert external and all(href.startswith("https://") for href in external)


async def test_the_header_says_accedi_not_login(client):
    page = (await client.get("/")).text
    header = page[page.index("<header") : page.index("</header>")]
    assert re.search(r'<a [^>]*href="/login"[^>]*>.*?<span>Accedi</span>', header, re.S)
    assert "Login" not in text(page)


async def test_footer_shows_the_comune_details_and_marks_placeholder_values(client):
    footer = text((await client.get("/")).text.split("<footer", 1)[1])
    for words in ("Piazza Vanvitelli", "PEC:", "Telefono:", "Codice fiscale:", "Partita IVA:"):
        assert words in footer
    # No real value is known for these: each says it is an example until configured.
    assert footer.count("dato di esempio") == 4
    assert "Amministrazione trasparente" in footer and "Media policy" in footer


async def test_the_comune_details_come_from_the_settings_and_lose_their_example_mark(
    portal_settings, gateway
):
    settings = portal_settings.model_copy(
        update={"comune_pec": "protocollo@pec.comune.caserta.it", "comune_phone": "+39 0823 273111"}
    )
    app = create_app(settings, api_transport=httpx.MockTransport(gateway))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            footer = text((await client.get("/")).text.split("<footer", 1)[1])
    assert "protocollo@pec.comune.caserta.it" in footer and "+39 0823 273111" in footer
    # The tax code and the VAT number are still the placeholders.
    assert footer.count("dato di esempio") == 2


async def test_the_statement_follows_agids_model_with_the_portals_facts(client):
    page = (await client.get("/dichiarazione-accessibilita")).text
    headings = [text(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", main_of(page), re.S)]
    assert headings == [
        "Stato di conformità",
        "Contenuti non accessibili",
        "Redazione della dichiarazione",
        "Meccanismo di feedback e recapiti",
        "Procedura di attuazione",
        "Informazioni sul sito",
    ]
    words = text(main_of(page))
    assert "parzialmente conforme" in words and "axe-core" in words and "390 pixel" in words
    assert "Difensore civico per il digitale" in words and "PDF/UA" in words


# --- breadcrumbs and the step indicator ------------------------------------------------------


def breadcrumb(page: str) -> list[str]:
    nav = re.search(r'<nav class="breadcrumb-container"[^>]*>(.*?)</nav>', page, re.S)
    return (
        [text(item).rstrip("/ ").strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", nav.group(1), re.S)]
        if nav
        else []
    )


async def test_inner_pages_have_a_breadcrumb_the_home_none(client, login_as):
    assert breadcrumb((await client.get("/")).text) == []
    assert breadcrumb((await client.get("/note-legali")).text) == ["Home", "Note legali"]
    assert breadcrumb((await client.get("/password/dimenticata")).text) == [
        "Home",
        "Accedi",
        "Password dimenticata",
    ]
    await login_as("citizen")
    assert breadcrumb((await client.get("/dashboard")).text) == ["Home", "Area personale"]
    page = (await client.get("/targhe/nuova")).text
    assert breadcrumb(page) == ["Home", "Area personale", "Nuova Targa"]
    assert 'aria-current="page">Nuova Targa' in page


def journey(page: str) -> tuple[list[str], str | None]:
    nav = re.search(r'<nav class="portal-journey"[^>]*>(.*?)</nav>', page, re.S)
    if not nav:
        return [], None
    items = re.findall(r'<li class="([a-z]*)"( aria-current="step")?>(.*?)</li>', nav.group(1), re.S)
    current = [text(body) for _, aria, body in items if aria]
    return [cls or "todo" for cls, _, _ in items], current[0] if current else None


async def test_the_dashboard_shows_where_the_citizen_is(client, login_as, gateway, make_page):
    await login_as("citizen")
    classes, current = journey((await client.get("/dashboard")).text)
    assert classes == ["done", "current", "todo", "todo", "todo"]
    assert current == "2 Certificazione di residenza (passo attuale)"

    approved = {
        "id": str(uuid.uuid4()),
        "status": "approved",
        "submitted_at": "2026-11-20T10:00:00Z",
        "decided_at": "2026-11-21T10:00:00Z",
        "outcome_reason": None,
        "certification_id": str(uuid.uuid4()),
        "sector_code": "A1",
        "sector_name": "Settore A1",
        "valid_from": "2026-11-21",
        "valid_until": "2027-11-20",
    }
    gateway.on("GET", "/api/certifications/requests", make_page([approved]))
    classes, current = journey((await client.get("/dashboard")).text)
    assert classes == ["done", "done", "current", "todo", "todo"]
    assert current.startswith("3 Associazione targa")


@pytest.mark.parametrize(
    ("path", "step"), [("/certificazioni/nuova", 2), ("/targhe/nuova", 3), ("/abbonamenti/nuova", 4)]
)
async def test_request_pages_show_their_step(client, login_as, gateway, make_page, path, step):
    await login_as("citizen")
    sector = {"code": "A1", "name": "Settore A1", "description": "", "streets": []}
    gateway.on("GET", "/api/certifications/sectors", make_page([sector]))
    gateway.on(
        "GET",
        "/api/certifications/sectors/suggested",
        httpx.Response(200, json={"sector": None, "address": None}),
    )
    page = (await client.get(path)).text
    classes, _ = journey(page)
    assert classes.index("current") == step - 1 and classes.count("done") == step - 1


async def test_public_pages_have_no_step_indicator_but_the_help_box(client):
    page = (await client.get("/login")).text
    assert journey(page) == ([], None)
    assert "Hai bisogno di aiuto?" in page and "Valuta questo servizio" in page


# --- "Valuta questo servizio" ----------------------------------------------------------------


async def test_the_stars_chosen_on_a_page_open_the_rating_form_preselected(client):
    page = (await client.get("/valuta-servizio", params={"stelle": "4", "pagina": "/login"})).text
    assert re.search(r'id="stelle-4" name="stelle" value="4" checked', page)
    assert '<input type="hidden" name="pagina" value="/login">' in page
    # The page itself has no second rating box (its radio buttons would repeat the ids).
    assert page.count('name="stelle"') == 5


async def test_a_rating_goes_to_identity_and_back_to_the_page_with_thanks(client, csrf, gateway):
    gateway.on("POST", RATINGS, httpx.Response(201, json=rating(4, "Chiaro", "/login")))
    token = await csrf("/valuta-servizio?pagina=/login")
    response = await client.post(
        "/valuta-servizio",
        data={"stelle": "4", "commento": "  Chiaro ", "pagina": "/login", "csrf_token": token},
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert gateway.body("POST", RATINGS) == {"stars": 4, "comment": "Chiaro", "page": "/login"}
    page = html.unescape((await client.get("/login")).text)
    assert "Grazie per la tua valutazione" in page
    # In a live region, which portal.js writes again after the load (tests/e2e/test_browser_axe.py).
    assert re.search(
        r'<div class="container pt-4" role="status" data-messages>\s*<div class="alert alert-success">Grazie',
        page,
    )


async def test_no_stars_is_refused_in_italian_and_nothing_is_sent(client, csrf, gateway):
    token = await csrf("/valuta-servizio")
    response = await client.post(
        "/valuta-servizio", data={"stelle": "9", "commento": "x" * 1001, "csrf_token": token}
    )
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert "Valutazione: Scegli da 1 a 5 stelle." in page
    assert "Commento: Scrivi al massimo 1000 caratteri." in page
    assert 'id="stelle" tabindex="-1" aria-describedby="stelle-error"' in page
    assert gateway.calls("POST", RATINGS) == []


async def test_another_site_is_never_the_way_back(client, csrf, gateway):
    gateway.on("POST", RATINGS, httpx.Response(201, json=rating(5)))
    token = await csrf("/valuta-servizio")
    response = await client.post(
        "/valuta-servizio", data={"stelle": "5", "pagina": "//example.com/x", "csrf_token": token}
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert gateway.body("POST", RATINGS) == {"stars": 5}


async def test_identity_down_keeps_the_rating_on_the_page(client, csrf, gateway, make_problem):
    gateway.on("POST", RATINGS, make_problem(503, "service_unavailable", "Servizio non disponibile."))
    token = await csrf("/valuta-servizio")
    response = await client.post(
        "/valuta-servizio", data={"stelle": "2", "commento": "Lento", "csrf_token": token}
    )
    assert response.status_code == 503
    page = html.unescape(response.text)
    assert "Non è stato possibile registrare la valutazione" in page
    assert re.search(r'id="stelle-2" name="stelle" value="2" checked', page) and ">Lento</textarea>" in page


async def test_admins_read_the_ratings_page_by_page(client, login_as, gateway, make_page):
    await login_as("admin")
    gateway.on(
        "GET",
        ADMIN_RATINGS,
        make_page([rating(5, "Ottimo", "/dashboard"), rating(2)], total=42, limit=20, offset=20),
    )
    page = html.unescape((await client.get("/operatore/valutazioni", params={"pagina": "2"})).text)
    assert gateway.calls("GET", ADMIN_RATINGS)[-1].url.params["offset"] == "20"
    assert "42 valutazioni; media delle valutazioni di questa pagina: 3,5 su 5." in page
    rows = [text(row) for row in re.findall(r"<tr>(.*?)</tr>", main_of(page), re.S)[1:]]
    # 23:30 UTC on 29 November is 00:30 of the 30th in Caserta.
    assert rows == ["30/11/2026 00:30 5 su 5 Ottimo /dashboard", "30/11/2026 00:30 2 su 5 — —"]
    assert "Pagina 2 di 3" in page
    console = (await client.get("/operatore")).text
    assert 'href="/operatore/valutazioni"' in console


async def test_operators_who_are_not_admins_cannot_read_ratings(client, login_as, gateway):
    await login_as("operator")
    response = await client.get("/operatore/valutazioni")
    assert response.status_code == 403
    assert gateway.calls("GET", ADMIN_RATINGS) == []
    assert 'href="/operatore/valutazioni"' not in (await client.get("/operatore")).text
