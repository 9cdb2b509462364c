"""Billing's OpenAPI document says what every route answers besides its success (kit.app): each
refusal a problem document, the sandbox's pages as pages, who needs a token. Schemathesis holds
the running service to it through the gateway (tests/e2e/test_api_schemathesis.py)."""

from typing import Any

import pytest

from billing.main import create_app
from billing.settings import Settings

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
SANDBOX = "/api/billing/sandbox/checkout/{session_id}"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings()).openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op) for path, item in document["paths"].items() for method, op in item.items()
    ]


def test_every_refusal_of_the_api_is_a_problem_document(document: dict[str, Any]) -> None:
    wrong = [
        (method, path, status, response.get("content"))
        for method, path, op in operations(document)
        if path != SANDBOX
        for status, response in op["responses"].items()
        if status[0] in "45"
        and response.get("content") != PROBLEM
        # but the gateway's bare 400 for an encoded character in the path (see below)
        and not (status == "400" and "{" in path and "content" not in response)
    ]

    assert wrong == []
    assert "ProblemDetails" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]  # FastAPI's 422, never sent


def test_every_route_documents_the_refusals_every_route_gives(document: dict[str, Any]) -> None:
    orders = document["paths"]["/api/billing/orders/{request_id}/checkout"]["post"]
    notification = document["paths"]["/api/billing/provider/notifications"]["post"]

    # A citizen's route with an id and a body: token, role, unknown id, input, size, failures.
    assert orders["security"] == [{"bearer": []}]
    assert set(orders["responses"]) == {"200", "400", "401", "403", "404", "409", "413", "422", "500", "503"}
    # The gateway's bare 400 for an encoded character in the path has no body to document.
    assert "content" not in orders["responses"]["400"]
    # The provider signs its notifications: no token, its own refusals.
    assert "security" not in notification
    assert set(notification["responses"]) == {"200", "400", "401", "404", "409", "413", "422", "500"}
    assert notification["responses"]["400"]["content"] == PROBLEM  # a body that cannot be read


def test_the_sandbox_checkout_documents_its_pages(document: dict[str, Any]) -> None:
    page = document["paths"][SANDBOX]["get"]["responses"]

    assert set(page["404"]["content"]) == {"text/html", "application/problem+json"}
    assert set(page["409"]["content"]) == {"text/html"}
    assert set(page["410"]["content"]) == {"text/html"}
    assert "303" in page
    assert "security" not in document["paths"][SANDBOX]["get"]
