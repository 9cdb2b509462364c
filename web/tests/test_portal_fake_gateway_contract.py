"""The fake gateway of these tests answers only what the services could answer: each answer, and
each JSON body the portal sends, is checked against the OpenAPI document the service builds
(conftest.FakeGateway, service_openapi.py). Here a fresh fake is given drifting payloads on
purpose, and must report each of them."""

from __future__ import annotations

import sys
from typing import Any

import httpx
import pytest

ME = "/api/identity/me"
LOGIN = "/api/identity/auth/login"


async def call(fake: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.MockTransport(fake)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        return await client.request(method, path, **kwargs)


@pytest.fixture
def fake(gateway):  # noqa: ANN001, ANN201
    """A fake of its own (the ``gateway`` fixture fails its test on drift: this one is read)."""
    return type(gateway)()


async def test_the_profile_the_tests_use_is_what_identity_answers(fake, profile_data) -> None:  # noqa: ANN001
    fake.on("GET", ME, httpx.Response(200, json=profile_data))
    await call(fake, "GET", ME)
    assert fake.drift == []


@pytest.mark.parametrize(
    "change, reported",
    [
        (lambda p: p.update(codice_fiscale=p.pop("tax_code")), "'codice_fiscale' was unexpected"),
        (lambda p: p.update(birth_date="01/01/1980"), "birth_date: '01/01/1980' is not a 'date'"),
        (lambda p: p.update(user_id=12), "user_id: 12 is not of type 'string'"),
    ],
    ids=["renamed", "date-format", "wrong-type"],
)
async def test_a_drifting_answer_is_reported(fake, profile_data, change, reported) -> None:  # noqa: ANN001
    broken = dict(profile_data)
    change(broken)
    fake.on("GET", ME, httpx.Response(200, json=broken))
    response = await call(fake, "GET", ME)
    assert response.json() == broken  # the portal still gets the answer; the test fails after
    assert any(reported in drift for drift in fake.drift), fake.drift
    assert all(drift.startswith("identity: GET /api/identity/me 200") for drift in fake.drift)


async def test_a_route_no_service_has_and_a_status_never_answered_are_reported(fake, profile_data) -> None:  # noqa: ANN001
    fake.on("GET", "/api/identity/profilo", httpx.Response(200, json=profile_data))
    fake.on("GET", ME, httpx.Response(201, json=profile_data))
    await call(fake, "GET", "/api/identity/profilo")
    await call(fake, "GET", ME)
    assert len(fake.drift) == 2, fake.drift
    assert fake.drift[0] == "GET /api/identity/profilo: no service has this route"
    assert fake.drift[1].startswith(f"identity: GET {ME} never answers 201 (documented: 200, 401,")


async def test_a_refusal_must_be_a_problem_document(fake) -> None:  # noqa: ANN001
    fake.on("GET", ME, httpx.Response(401, json={"code": "unauthenticated"}))
    await call(fake, "GET", ME)
    assert fake.drift == [f"identity: GET {ME} 401 is never application/json (application/problem+json)"]


async def test_a_request_body_the_service_would_refuse_is_reported(fake) -> None:  # noqa: ANN001
    fake.on("POST", LOGIN, httpx.Response(200, json={"access_token": "a", "refresh_token": "r"}))
    await call(fake, "POST", LOGIN, json={"email": "mario.rossi@example.it", "pwd": "segreta"})
    assert any("request body" in d and "'pwd' was unexpected" in d for d in fake.drift), fake.drift


async def test_an_answer_off_contract_on_purpose_is_not_checked(fake) -> None:  # noqa: ANN001
    fake.on("GET", ME, httpx.Response(200, json=["not", "a", "profile"]), contract=False)
    await call(fake, "GET", ME)
    assert fake.drift == []


def test_every_service_document_is_built_from_its_app() -> None:
    service_openapi = sys.modules["_portal_tests_service_openapi"]  # as conftest loaded it
    for prefix, service in service_openapi.SERVICES.items():
        paths = service_openapi.document(service)["paths"]
        assert paths and all(path.startswith(prefix) for path in paths), service
    for method, path in [
        ("POST", LOGIN),
        ("GET", ME),
        ("GET", "/api/vehicles/requests/7f1c2a4e-0000-4000-8000-000000000001"),
    ]:
        assert service_openapi.find(method, path) is not None, path


async def test_a_status_the_service_never_uses_is_reported(fake) -> None:  # noqa: ANN001
    # "submitted" was in these tests' fakes; certification says "pending".
    item = {"id": "5b0e1f9a-4c1e-4d0b-9c59-0c0a2a7b9d11", "status": "submitted"}
    page = {"items": [item], "total": 1, "limit": 20, "offset": 0}
    fake.on("GET", "/api/certifications/requests", httpx.Response(200, json=page))
    await call(fake, "GET", "/api/certifications/requests")
    assert any("items/0/status: 'submitted' is not one of" in d for d in fake.drift), fake.drift
