"""Token verification, role checks and problem responses of a service built with the kit."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey
from pydantic import BaseModel, Field

from kit.app import create_service_app
from kit.deps import CurrentUser, Operator
from kit.runtime import ServiceRuntime
from kit.settings import ServiceSettings
from kit.testing.services import running_service
from kit.testing.tokens import TestIssuer

router = APIRouter()


class Note(BaseModel):
    title: str = Field(min_length=3)
    pages: int


@router.get("/me")
async def me(user: CurrentUser) -> dict[str, str]:
    return {"user_id": str(user.user_id), "role": user.role}


@router.get("/admin/things")
async def admin_things(user: Operator) -> dict[str, str]:
    return {"ok": user.role}


@router.post("/notes", status_code=201)
async def create_note(note: Note, user: CurrentUser) -> Note:
    return note


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
async def client(make_database, service_env, issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    url = await make_database("kitauth")
    settings = ServiceSettings(
        service_name="kitauth", api_prefix="/api/kitauth", database_url=url, **service_env
    )
    app = create_service_app(
        ServiceRuntime.from_settings(settings), title="t", description="d", routers=[router]
    )
    issuer.install(app)
    async with running_service(app) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_valid_token_is_accepted(client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    user_id = uuid.uuid4()
    response = await client.get("/api/kitauth/me", headers=issuer.headers(user_id))
    assert response.status_code == 200
    assert response.json() == {"user_id": str(user_id), "role": "citizen"}


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda i: "not-a-token", id="garbage"),
        pytest.param(lambda i: i.token(expires_in=-60), id="expired"),
        pytest.param(
            lambda i: i.token(key=ECKey.generate_key("P-256", parameters={"kid": i.key.kid})),
            id="signed-by-another-key-same-kid",
        ),
        pytest.param(
            lambda i: i.token(key=ECKey.generate_key("P-256", parameters={"kid": "other"})),
            id="signed-by-unknown-key",
        ),
        pytest.param(
            lambda i: _b64({"alg": "none", "kid": i.key.kid}) + "." + i.token().split(".")[1] + ".",
            id="alg-none",
        ),
        pytest.param(
            lambda i: jwt.encode(
                {"alg": "HS256", "kid": i.key.kid},
                {
                    "sub": str(uuid.uuid4()),
                    "role": "admin",
                    "iss": i.issuer,
                    "aud": i.audience,
                    "exp": 4102444800,
                },
                OctKey.import_key(json.dumps(i.jwks()).encode()),
                algorithms=["HS256"],
            ),
            id="hs256-with-public-key-as-secret",
        ),
        pytest.param(lambda i: i.token(aud="someone-else"), id="wrong-audience"),
        pytest.param(lambda i: i.token(iss="someone-else"), id="wrong-issuer"),
        pytest.param(lambda i: i.token(role="superuser"), id="unknown-role"),
    ],
)
async def test_bad_tokens_get_401_problem(client: httpx.AsyncClient, issuer: TestIssuer, make_token) -> None:  # noqa: ANN001
    response = await client.get("/api/kitauth/me", headers=bearer(make_token(issuer)))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_missing_token_gets_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/kitauth/me")
    assert response.status_code == 401


async def test_citizen_on_operator_route_gets_403(client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    response = await client.get("/api/kitauth/admin/things", headers=issuer.headers(role="citizen"))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert response.json()["detail"] == "Non hai i permessi per questa operazione."


@pytest.mark.parametrize("role", ["operator", "admin"])
async def test_staff_on_operator_route_pass(client: httpx.AsyncClient, issuer: TestIssuer, role: str) -> None:
    response = await client.get("/api/kitauth/admin/things", headers=issuer.headers(role=role))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        (b"{broken", "application/json", "body"),
        (b"[1, 2]", "application/json", "body"),
        (b'{"title": "ab", "pages": "molte"}', "application/json", "title"),
        (b"title=x", "application/x-www-form-urlencoded", "body"),
        (b"", "application/json", "body"),
        (b'{"title": null}', "application/json", "title"),
    ],
)
async def test_malformed_bodies_get_422_problem_in_italian(
    client: httpx.AsyncClient, issuer: TestIssuer, body: bytes, content_type: str, field: str
) -> None:
    response = await client.post(
        "/api/kitauth/notes",
        content=body,
        headers={**issuer.headers(), "content-type": content_type},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert problem["status"] == 422
    assert any(e["field"] == field for e in problem["errors"]), problem
    assert all(e["message"].endswith(".") for e in problem["errors"])


async def test_undecodable_body_gets_400_problem(client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    response = await client.post(
        "/api/kitauth/notes",
        content=b"\xff\xfe\x00",
        headers={**issuer.headers(), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "La richiesta non è valida."


async def test_unknown_route_and_wrong_method_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/kitauth/nowhere")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "La risorsa richiesta non esiste."
    wrong = await client.delete("/api/kitauth/notes")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == "application/problem+json"


async def test_responses_carry_the_correlation_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/kitauth/health/live", headers={"X-Correlation-ID": "abc-123"})
    assert response.headers["x-correlation-id"] == "abc-123"
    fresh = await client.get("/api/kitauth/health/live", headers={"X-Correlation-ID": "bad id!\n"})
    assert fresh.headers["x-correlation-id"] != "bad id!\n"


async def test_ready_checks_database_and_broker(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/kitauth/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
