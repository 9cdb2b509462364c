import re
from html.parser import HTMLParser

import httpx
from fastapi import Request

from portal.templating import STATIC_DIR, flash, templates


class _Page(HTMLParser):
    """Just enough structure to ask where an element sits."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, tuple[str, ...]]] = []  # href, text, ancestors
        self.lang: str | None = None
        self.inline_scripts = 0
        self.style_attributes = 0
        self._link: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "style" in attrs:
            self.style_attributes += 1
        if tag == "script" and "src" not in attrs:
            self.inline_scripts += 1
        if tag == "a":
            self._link = {"href": attrs.get("href", ""), "text": "", "in": tuple(self.stack)}
        if tag not in {"img", "br", "meta", "link", "input", "use"}:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link["href"], self._link["text"].strip(), self._link["in"]))
            self._link = None
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self._link is not None:
            self._link["text"] += data


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


async def test_home_is_an_italian_html_page(client: httpx.AsyncClient):
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert parse(response.text).lang == "it"
    assert "Abbonamenti sosta residenti" in response.text
    assert "Registrati" in response.text


async def test_home_login_button_links_to_login_inside_the_header(client: httpx.AsyncClient):
    page = parse((await client.get("/")).text)
    login = [link for link in page.links if link[1] == "Accedi"]
    assert login, "no Accedi link"
    href, _, ancestors = login[0]
    assert href == "/login"
    assert "header" in ancestors and "main" not in ancestors


async def test_home_explains_every_step_of_the_service(client: httpx.AsyncClient):
    text = (await client.get("/")).text
    for step in (
        "Registrazione",
        "Certificazione di residenza",
        "Associazione targa",
        "Richiesta abbonamento",
        "Pagamento",
    ):
        assert step in text


async def test_home_register_button_is_in_the_main_content(client: httpx.AsyncClient):
    page = parse((await client.get("/")).text)
    assert any(text == "Registrati" and "main" in within for _, text, within in page.links)


async def test_skip_links_point_to_existing_targets(client: httpx.AsyncClient):
    page = parse((await client.get("/")).text)
    skips = {text: href for href, text, _ in page.links if href.startswith("#")}
    assert skips["Vai al contenuto principale"] == "#main-content"
    assert skips["Vai al piè di pagina"] == "#footer"
    assert {"main-content", "footer"} <= page.ids


async def test_pages_carry_no_inline_script_or_style(client: httpx.AsyncClient):
    for path in ("/", "/pagina-che-non-esiste"):
        page = parse((await client.get(path)).text)
        assert page.inline_scripts == 0, path
        assert page.style_attributes == 0, path


async def test_pages_are_sent_with_a_strict_content_security_policy(client: httpx.AsyncClient):
    csp = (await client.get("/")).headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


async def test_header_shows_the_user_name_and_logout_when_logged_in(portal_app, client):
    @portal_app.get("/_test/utente")
    async def logged_in(request: Request):
        return templates.TemplateResponse(request, "home.html", {"user": {"name": "Mario Rossi"}})

    response = await client.get("/_test/utente")
    page = parse(response.text)
    assert "Mario Rossi" in response.text
    assert re.search(
        r'<form method="post" action="/logout">\s*'
        r'<input type="hidden" name="csrf_token" value="[^"]{32,}">\s*<button[^>]*>Esci</button>',
        response.text,
    )
    assert not [link for link in page.links if link[1] == "Accedi"]


async def test_flashed_message_is_shown_once_on_the_next_page(portal_app, client):
    @portal_app.get("/_test/flash")
    async def set_message(request: Request):
        flash(request, "Operazione completata", "success")
        return {}

    await client.get("/_test/flash")
    first = (await client.get("/")).text
    second = (await client.get("/")).text
    assert 'class="alert alert-success">Operazione completata' in first
    assert "Operazione completata" not in second


async def test_health_live_answers_ok(client: httpx.AsyncClient):
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_icon_browsers_ask_for_at_the_root_is_the_portals(client: httpx.AsyncClient):
    """Pages that name no icon (the payment sandbox's checkout, through the gateway) make the
    browser ask for /favicon.ico: a 404 there was an error in the console of every payment."""
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.content == (STATIC_DIR / "img" / "favicon.svg").read_bytes()


async def test_home_answers_head_requests(client: httpx.AsyncClient):
    response = await client.head("/")
    assert response.status_code == 200
    assert response.content == b""
