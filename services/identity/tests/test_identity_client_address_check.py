"""GET /api/identity/client-address: the check the Compose and Kubernetes gateways ask
(forwardAuth) before rate-limiting an authentication request per X-Client-Address. 204 only
for an address the portal signed, recently, with the shared secret; otherwise an Italian 403
problem, which the gateway answers to the client without forwarding the request."""

from __future__ import annotations

import time

import pytest

from kit.client_address import signed_headers

CHECK = "/client-address"
ADDRESS = "203.0.113.7"


async def test_an_address_the_portal_signed_is_attested(identity) -> None:  # noqa: ANN001
    secret = identity.settings.client_address_secret.get_secret_value().encode()

    for address in (ADDRESS, "2001:db8::7"):
        answer = await identity.client.get(identity.url(CHECK), headers=signed_headers(address, secret))
        assert answer.status_code == 204, answer.text
        assert answer.content == b""


def _claims(secret: bytes) -> dict[str, dict[str, str]]:
    now = time.time()
    return {
        "nothing": {},
        "unsigned": {"X-Client-Address": ADDRESS},
        "forged": {"X-Client-Address": ADDRESS, "X-Client-Address-Signature": f"{int(now)}.{'0' * 64}"},
        "another secret": signed_headers(ADDRESS, b"another-secret-of-32-characters!!"),
        "stale": signed_headers(ADDRESS, secret, now=now - 3600),
        "from the future": signed_headers(ADDRESS, secret, now=now + 3600),
        "not an address": signed_headers("tutti", secret),
        # A valid signature of one address does not vouch for another.
        "swapped": {**signed_headers(ADDRESS, secret), "X-Client-Address": "203.0.113.8"},
    }


@pytest.mark.parametrize(
    "claim",
    [
        "nothing",
        "unsigned",
        "forged",
        "another secret",
        "stale",
        "from the future",
        "not an address",
        "swapped",
    ],
)
async def test_anything_else_is_refused_with_an_italian_problem(identity, claim: str) -> None:  # noqa: ANN001
    secret = identity.settings.client_address_secret.get_secret_value().encode()

    answer = await identity.client.get(identity.url(CHECK), headers=_claims(secret)[claim])

    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "client_address_not_attested"
    assert "firma valida" in answer.json()["detail"]


async def test_the_check_is_documented(identity) -> None:  # noqa: ANN001
    operation = (await identity.client.get(identity.url("/openapi.json"))).json()["paths"][
        f"{identity.url(CHECK)}"
    ]["get"]
    assert {"204", "403"} <= set(operation["responses"])
