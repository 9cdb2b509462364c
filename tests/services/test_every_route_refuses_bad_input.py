"""Every body-taking route of every service answers malformed input with a 4xx problem+json,
never a 500, and every route refuses control characters in its path, query and JSON body: run
against each real service app (its own migrated database, the real broker)."""

from __future__ import annotations

import importlib
import re
import uuid

import pytest

from kit.testing.services import running_service
from kit.testing.tokens import TestIssuer

SERVICES = ["identity", "certification", "vehicles", "subscriptions", "billing", "notifications"]
MALFORMED: list[tuple[bytes, str]] = [
    (b"{broken", "application/json"),
    (b"[]", "application/json"),
    (b'{"email": 12, "password": null, "otp": {"a": 1}}', "application/json"),
    (b"\xff\xfe", "application/json"),
    (b"", "application/json"),
    (b"a=1&b=2", "application/x-www-form-urlencoded"),
    (b"--x\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=x"),
]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


@pytest.mark.parametrize("service", SERVICES)
async def test_malformed_bodies_never_give_500(service: str, make_database, service_env) -> None:  # noqa: ANN001
    main = importlib.import_module(f"{service}.main")
    settings_mod = importlib.import_module(f"{service}.settings")
    url = await make_database(service, migrate=service)
    app = main.create_app(settings_mod.Settings(database_url=url, **service_env))
    issuer = TestIssuer()
    issuer.install(app)
    # From the OpenAPI document: included routers do not show up as APIRoute in app.routes.
    routes = [
        (method.upper(), _concrete(path))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in {"post", "put", "patch"}
    ]
    if not routes:
        pytest.skip(f"{service} has no route that takes a body yet")
    async with running_service(app) as client:
        for method, path in routes:
            for auth in ({}, issuer.headers(role="citizen"), issuer.headers(role="admin")):
                for body, content_type in MALFORMED:
                    response = await client.request(
                        method, path, content=body, headers={**auth, "content-type": content_type}
                    )
                    assert 400 <= response.status_code < 500, (method, path, body, response.text)
                    assert response.headers["content-type"] == "application/problem+json"
                    assert response.json()["detail"]


def _with(path: str, param: str, value: str) -> str:
    """``path`` with ``param`` set to ``value`` and every other parameter to a fresh id."""
    return _concrete(path.replace("{" + param + "}", value))


@pytest.mark.parametrize("service", SERVICES)
async def test_control_characters_in_any_string_input_are_refused(
    service: str,
    make_database,  # noqa: ANN001
    service_env,  # noqa: ANN001
) -> None:
    """A NUL reaching PostgreSQL was a 500 (login, profile, registration, operator search)."""
    main = importlib.import_module(f"{service}.main")
    settings_mod = importlib.import_module(f"{service}.settings")
    url = await make_database(service, migrate=service)
    app = main.create_app(settings_mod.Settings(database_url=url, **service_env))
    issuer = TestIssuer()
    issuer.install(app)
    requests: list[tuple[str, str, dict, str]] = []  # method, url, extra arguments, field at fault
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            method = method.upper()
            for param in re.findall(r"\{([^}:]+)[^}]*\}", path):
                requests.append((method, _with(path, param, "a%00b"), {}, param))
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    requests.append(
                        (method, f"{_concrete(path)}?{parameter['name']}=a%00b", {}, parameter["name"])
                    )
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                body = {"email": "a\u0000b@example.it", "password": "x", "q": "ok"}
                requests.append((method, _concrete(path), {"json": body}, "email"))
    assert requests
    async with running_service(app) as client:
        for auth in ({}, issuer.headers(role="citizen"), issuer.headers(role="admin")):
            for method, target, extra, field in requests:
                response = await client.request(method, target, headers=auth, **extra)

                assert response.status_code == 422, (method, target, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                problem = response.json()
                assert problem["code"] == "control_characters", (method, target, problem)
                assert problem["detail"] == "Il testo contiene caratteri non ammessi."
                assert [e["field"] for e in problem["errors"]] == [field], (method, target, problem)
