import inspect
import json
import os
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartParser

from kit.testing.modules import module_at
from portal.app import create_app
from portal.assets import build_assets
from portal.settings import PortalSettings

# An answer may be computed by a coroutine (httpx.MockTransport awaits it): a test can hold it.
Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


# ``service_openapi.py`` beside this file (tests here are imported by path, not package).
service_openapi = module_at("_portal_tests_service_openapi", Path(__file__).with_name("service_openapi.py"))


def problem(
    status: int, code: str, detail: str, errors: list[dict] | None = None, **headers: str
) -> httpx.Response:
    """An answer shaped like kit.problems' problem+json."""
    body: dict[str, Any] = {
        "type": f"https://parkingcaserta.it/problemi/{code}",
        "title": "Errore",
        "status": status,
        "code": code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json", **headers})


def page(
    items: list[dict[str, Any]], *, total: int | None = None, limit: int = 20, offset: int = 0
) -> httpx.Response:
    """An answer of a list endpoint: the services' page envelope."""
    body = {"items": items, "total": len(items) if total is None else total, "limit": limit, "offset": offset}
    return httpx.Response(200, json=body)


# The citizen's own requests, one list per service, on the dashboard.
REQUEST_LISTS = {
    "certificazioni": "/api/certifications/requests",
    "targhe": "/api/vehicles/requests",
    "abbonamenti": "/api/subscriptions/requests",
}
# The plates associated with the citizen ("Targhe Associate", on the dashboard too).
PLATES = "/api/vehicles/plates"
# The citizen's subscriptions ("Abbonamenti Associati", on the dashboard too).
SUBSCRIPTIONS = "/api/subscriptions/subscriptions"
# The citizen's payment orders (the invoice of each subscription, on the dashboard too).
ORDERS = "/api/billing/orders"


@dataclass
class FakeGateway:
    """The gateway as the portal sees it over HTTP: answers set per test, every request kept.
    A call the test did not expect answers 599, so that it cannot pass unnoticed.

    Every answer given, and every JSON body the portal sends, is checked against the OpenAPI
    document of the service that owns the path (``service_openapi``): what the real service
    could not answer or would refuse is kept in ``drift``, and the ``gateway`` fixture fails
    the test with it. ``on(..., contract=False)`` is for an answer that is off the contract on
    purpose (the portal's resilience to a broken service)."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    off_contract: set[tuple[str, str]] = field(default_factory=set)

    def on(self, method: str, path: str, answer: httpx.Response | Handler, *, contract: bool = True) -> None:
        self.routes[(method, path)] = answer if callable(answer) else (lambda _request: answer)
        (self.off_contract.discard if contract else self.off_contract.add)((method, path))

    def __call__(self, request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        self.requests.append(request)
        key = (request.method, request.url.path)
        handler = self.routes.get(key)
        if handler is None:
            return httpx.Response(599, text=f"unexpected call {request.method} {request.url.path}")
        if key in self.off_contract:
            return handler(request)
        self.drift += service_openapi.request_drift(request)
        answer = handler(request)
        if not inspect.isawaitable(answer):
            self.drift += service_openapi.response_drift(request, answer)
            return answer

        async def checked() -> httpx.Response:
            response = await answer
            self.drift += service_openapi.response_drift(request, response)
            return response

        return checked()

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def body(self, method: str, path: str, index: int = -1) -> Any:
        return json.loads(self.calls(method, path)[index].content)


@pytest.fixture(scope="session")
def vendor_assets():
    # Runs npm ci only if node_modules is missing or differs from package-lock.json.
    return build_assets()


@pytest.fixture
def production_settings() -> Callable[..., PortalSettings]:
    """A complete production configuration of the portal (it starts), with ``overrides``."""

    def make(**overrides: Any) -> PortalSettings:
        values: dict[str, Any] = {
            "environment": "production",
            "session_secret": secrets.token_urlsafe(48),
            "client_address_secret": secrets.token_urlsafe(48),
            "comune_pec": "protocollo@pec.comune.caserta.it",
            "comune_phone": "+39 0823 273111",
            "comune_tax_code": "80004770618",
            "comune_vat_number": "00123450615",
            "log_json": False,
        }
        return PortalSettings(**(values | overrides))

    return make


@pytest.fixture
def portal_settings() -> PortalSettings:
    return PortalSettings(
        environment="test", log_json=False, session_secret="x" * 32, api_base_url="http://gateway.test"
    )


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    fake = FakeGateway()
    yield fake
    new = [d for d in dict.fromkeys(fake.drift) if d not in service_openapi.KNOWN_DRIFT]
    if os.environ.get("RECORD_FAKE_DRIFT"):  # rewrite the list of known drift: see its file
        with service_openapi.KNOWN_DRIFT_FILE.open("a", encoding="utf-8") as known:
            known.writelines(f"{d}\n" for d in new)
        return
    assert not new, "the fake gateway strayed from the services' OpenAPI documents:\n" + "\n".join(new)


@pytest.fixture
def portal_app(portal_settings, gateway):
    return create_app(portal_settings, api_transport=httpx.MockTransport(gateway))


@pytest.fixture
async def client(portal_app) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(portal_app) as manager:
        # raise_app_exceptions=False: let the 500 handler answer, as in production.
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def csrf_from(client: httpx.AsyncClient, path: str) -> str:
    """The CSRF token of the form on ``path``, as a browser would find it."""
    response = await client.get(path)
    match = _CSRF.search(response.text)
    assert match, f"no CSRF field on {path} ({response.status_code})"
    return match.group(1)


TOKENS = {"access_token": "access-1", "refresh_token": "refresh-1", "token_type": "Bearer", "expires_in": 600}
PROFILE = {
    "user_id": "7f1c2a4e-8d55-4a8e-9a70-0a5d2d1f3b10",
    "email": "mario.rossi@example.it",
    "tax_code": "RSSMRA80A01B963X",
    "first_name": "Mario",
    "last_name": "Rossi",
    "sex": "M",
    "birth_date": "1980-01-01",
    "birth_place": "Caserta",
    "address_street": "Via Roma",
    "address_number": "1",
    "postcode": "81100",
    "municipality": "Caserta",
    "phone": "3331234567",
    "role": "citizen",
    "created_at": "2026-11-20T10:00:00Z",
}


async def log_in(
    client: httpx.AsyncClient, gateway: FakeGateway, role: str = "citizen", expires_in: int = 600
) -> httpx.Response:
    gateway.on(
        "POST",
        "/api/identity/auth/login",
        httpx.Response(200, json={**TOKENS, "role": role, "expires_in": expires_in}),
    )
    gateway.on("GET", "/api/identity/me", httpx.Response(200, json={**PROFILE, "role": role}))
    # A citizen with no request yet: the dashboard's three lists are empty, no plate nor
    # subscription nor payment either.
    for path in [*REQUEST_LISTS.values(), PLATES, SUBSCRIPTIONS, ORDERS]:
        gateway.on("GET", path, page([]))
    token = await csrf_from(client, "/login")
    return await client.post(
        "/login", data={"email": PROFILE["email"], "password": "segreta123", "csrf_token": token}
    )


@pytest.fixture
def csrf(client):
    """``await csrf("/login")``: the token of the form on that page."""
    return lambda path: csrf_from(client, path)


@pytest.fixture
def login_as(client, gateway):
    """``await login_as("operator")``: a logged-in session of that role."""
    return lambda role="citizen", **kw: log_in(client, gateway, role, **kw)


@pytest.fixture
def make_problem():
    return problem


@pytest.fixture
def make_page():
    return page


@pytest.fixture
def decided_first(gateway):
    """``decided_first(review_path, review, action)``: another operator has decided the request
    at ``review_path`` of a service: it shows the request as ``review`` now, and refuses
    ``action`` ("approve", "reject") with 409."""

    def decide(review_path: str, review: dict[str, Any], action: str) -> None:
        gateway.on("GET", review_path, httpx.Response(200, json=review))
        gateway.on(
            "POST",
            f"{review_path}/{action}",
            problem(409, "request_already_decided", "Richiesta già decisa."),
        )

    return decide


@pytest.fixture
def request_lists() -> dict[str, str]:
    """The dashboard section id → the path of its service's list of the citizen's requests."""
    return dict(REQUEST_LISTS)


@pytest.fixture
def profile_data() -> dict[str, Any]:
    return dict(PROFILE)


@pytest.fixture
def account_summary() -> dict[str, Any]:
    """The citizen of PROFILE as identity's operator search lists them (AccountSummary)."""
    return {
        k: PROFILE[k]
        for k in ("user_id", "email", "tax_code", "first_name", "last_name", "role", "created_at")
    }


class _PageStructure(HTMLParser):
    """What the accessibility checks below look at in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.labels: dict[str, str] = {}
        self.fields: list[tuple[str, str]] = []  # (tag or input type, id)
        self.described: list[str] = []
        self.headings: list[int] = []
        self._label: str | None = None
        self._fieldsets: list[dict[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if "style" in attrs:
            self.problems.append(f"style attribute on <{tag}>")
        if tag == "script" and "src" not in attrs:
            self.problems.append("inline <script>")
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            kind = attrs.get("type", tag) if tag == "input" else tag
            if not attrs.get("id"):
                self.problems.append(f"<{tag} name={attrs.get('name')}> without id")
            self.fields.append((kind, attrs.get("id") or ""))
            if kind == "radio" and not any(fs["legend"] for fs in self._fieldsets):
                self.problems.append(f"radio {attrs.get('id')} outside a fieldset with a legend")
        if "aria-describedby" in attrs:
            self.described.extend(attrs["aria-describedby"].split())
        if tag == "label" and attrs.get("for"):
            self._label = attrs["for"]
            self.labels[self._label] = ""
        if tag == "fieldset":
            self._fieldsets.append({"legend": False})
        if tag == "legend" and self._fieldsets:
            self._fieldsets[-1]["legend"] = True
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None
        if tag == "fieldset" and self._fieldsets:
            self._fieldsets.pop()

    def handle_data(self, data):
        if self._label is not None:
            self.labels[self._label] += data


def accessibility_problems(html: str) -> list[str]:
    """What axe-core would flag first in a server-rendered page (the browser tests run axe
    itself): inline script or style (CSP), fields without a label, radio buttons outside a
    fieldset with a legend, descriptions pointing nowhere, repeated ids, heading levels
    skipped, not exactly one h1."""
    page = _PageStructure()
    page.feed(html)
    problems = list(page.problems)
    ids = set(page.ids)
    problems += [f"id {i} repeated" for i in ids if page.ids.count(i) > 1]
    problems += [f"field {i} without a label" for _, i in page.fields if not page.labels.get(i, "").strip()]
    problems += [f"label for missing {i}" for i in page.labels if i not in ids]
    problems += [f"aria-describedby points at missing {i}" for i in page.described if i not in ids]
    if page.headings.count(1) != 1:
        problems.append(f"{page.headings.count(1)} h1")
    main_headings = page.headings
    for previous, current in zip(main_headings, main_headings[1:], strict=False):
        if current > previous + 1:
            problems.append(f"heading h{current} after h{previous}")
    return problems


@pytest.fixture
def a11y_problems():
    return accessibility_problems


async def read_multipart(request: httpx.Request) -> dict[str, Any]:
    """A multipart body as a service reads it: {name: text, or (filename, type, bytes)}."""

    async def body():
        yield request.content

    form = await MultiPartParser(Headers(headers=dict(request.headers)), body()).parse()
    parsed: dict[str, Any] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            parsed[name] = (value.filename, value.content_type, await value.read())
        else:
            parsed[name] = value
    return parsed


@pytest.fixture
def multipart_of():
    """``await multipart_of(request)``: what a service would read from a multipart request."""
    return read_multipart
