"""Login (Fase 2), throttling, access tokens and refresh-token rotation."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import timedelta

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey

from kit.clock import MovableClock
from kit.testing.tokens import TestIssuer

INVALID = "Email o password non corretti."


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_login_returns_a_token_pair_with_the_documented_claims(identity) -> None:  # noqa: ANN001
    person, _ = await identity.citizen()
    response = await identity.login(person.email.upper())
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["role"] == "citizen"
    jwks = (await identity.client.get(identity.url("/.well-known/jwks.json"))).json()
    decoded = jwt.decode(body["access_token"], KeySet.import_key_set(jwks), algorithms=["ES256"])
    assert decoded.header["alg"] == "ES256"
    assert decoded.header["kid"] == identity.runtime.keys.active_kid
    claims = decoded.claims
    assert claims["iss"] == "parkingcaserta-identity"
    assert claims["aud"] == "parkingcaserta"
    assert claims["role"] == "citizen"
    assert claims["email"] == person.email
    assert claims["exp"] - claims["iat"] == 600
    assert claims["jti"]
    me = await identity.client.get(identity.url("/me"), headers=identity.bearer(body["access_token"]))
    assert me.json()["user_id"] == claims["sub"]


async def test_jwks_is_public_and_cacheable(identity) -> None:  # noqa: ANN001
    response = await identity.client.get(identity.url("/.well-known/jwks.json"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    [key] = [k for k in response.json()["keys"] if k["kid"] == identity.runtime.keys.active_kid]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256"
    assert "d" not in key


async def test_replicas_share_the_signing_key(identity, make_identity) -> None:  # noqa: ANN001
    replica = await make_identity()
    assert replica.runtime.keys.active_kid == identity.runtime.keys.active_kid
    person, tokens = await identity.citizen()
    me = await replica.client.get(replica.url("/me"), headers=replica.bearer(tokens["access_token"]))
    assert me.status_code == 200


async def test_wrong_password_and_unknown_email_fail_alike(identity) -> None:  # noqa: ANN001
    person, _ = await identity.citizen()
    wrong = await identity.login(person.email, "Sbagliata-2026")
    unknown = await identity.login(f"nessuno.{uuid.uuid4().hex[:6]}@example.it", "Sbagliata-2026")
    malformed = await identity.login("non-una-email", "Sbagliata-2026")
    for response in (wrong, unknown, malformed):
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
        assert response.json()["detail"] == INVALID


async def test_repeated_failures_slow_that_address_on_that_account_progressively(make_identity) -> None:  # noqa: ANN001
    identity = await make_identity(login_max_failures_per_pair=3)
    clock = identity.runtime.clock = MovableClock()
    person, _ = await identity.citizen()
    for _ in range(3):
        assert (await identity.login(person.email, "Sbagliata-2026")).status_code == 401
    blocked = await identity.login(person.email)  # even the right password, from this address
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_attempts"
    assert blocked.json()["detail"] == "Troppi tentativi di accesso non riusciti: riprova tra 1 minuti."
    assert 55 <= int(blocked.headers["Retry-After"]) <= 60
    # Each further failure doubles the wait: 2, 4 minutes… at most 15.
    previous = 60
    for wait in (120, 240, 480, 900, 900):
        clock.advance(timedelta(seconds=previous + 1))
        previous = wait
        assert (await identity.login(person.email, "Sbagliata-2026")).status_code == 401
        again = await identity.login(person.email)
        assert again.status_code == 429
        assert wait - 5 <= int(again.headers["Retry-After"]) <= wait
    # An unknown address is throttled the same way: nothing tells the two apart.
    unknown = f"nessuno.{uuid.uuid4().hex[:6]}@example.it"
    for _ in range(3):
        assert (await identity.login(unknown, "Sbagliata-2026")).status_code == 401
    assert (await identity.login(unknown, "Sbagliata-2026")).status_code == 429


def _addresses(n: int) -> list[str]:
    """Client addresses no other test uses (the throttle's rows outlive a replica)."""
    net = uuid.uuid4().hex[:4]
    return [f"2001:db8:{net}::{i + 1:x}" for i in range(n)]


async def test_the_owner_logs_in_from_another_address_after_an_attackers_failures(make_identity) -> None:  # noqa: ANN001
    identity = await make_identity()  # the default pair and account limits
    person, _ = await identity.citizen()
    operator = await identity.create_staff("operator")
    attacker_address, owner_address = _addresses(2)
    async with (
        identity.client_from(attacker_address) as attacker,
        identity.client_from(owner_address) as owner,
    ):
        for email in (person.email, operator):
            answers = [
                (
                    await attacker.post(identity.url("/auth/login"), json={"email": email, "password": "x1"})
                ).status_code
                for _ in range(8)
            ]
            assert answers == [401] * 5 + [429] * 3  # the attacker is slowed down
            fine = await owner.post(
                identity.url("/auth/login"), json={"email": email, "password": identity.password}
            )
            assert fine.status_code == 200, fine.text
        # The attacker's address stays slowed on that account, right password or not.
        still = await attacker.post(
            identity.url("/auth/login"), json={"email": person.email, "password": identity.password}
        )
        assert (still.status_code, still.json()["code"]) == (429, "too_many_attempts")
        assert int(still.headers["Retry-After"]) > 0


async def test_a_distributed_attack_does_not_lock_the_owner_out_from_a_clean_address(make_identity) -> None:  # noqa: ANN001
    identity = await make_identity(login_max_failures_per_account=6)
    person, _ = await identity.citizen()
    login = identity.url("/auth/login")
    wrong = {"email": person.email, "password": "Sbagliata-2026"}
    *attacker_addresses, owner_address, newcomer_address = _addresses(8)
    attackers = [identity.client_from(address) for address in attacker_addresses]
    try:
        for attacker in attackers:  # one failure from each address: no pair reaches its limit
            assert (await attacker.post(login, json=wrong)).status_code == 401
        # The account's limit is reached: every address that failed on it is held back…
        for attacker in attackers:
            blocked = await attacker.post(login, json={**wrong, "password": identity.password})
            assert (blocked.status_code, blocked.json()["code"]) == (429, "too_many_attempts")
            assert 890 <= int(blocked.headers["Retry-After"]) <= 900
    finally:
        for attacker in attackers:
            await attacker.aclose()
    # …but not an address without failures on it: the owner logs in.
    async with identity.client_from(owner_address) as owner:
        assert (await owner.post(login, json={**wrong, "password": identity.password})).status_code == 200
    async with identity.client_from(newcomer_address) as newcomer:
        assert (await newcomer.post(login, json=wrong)).status_code == 401


async def test_a_success_clears_the_account_failures(make_identity) -> None:  # noqa: ANN001
    identity = await make_identity(login_max_failures_per_pair=3)
    person, _ = await identity.citizen()
    for _ in range(2):
        await identity.login(person.email, "Sbagliata-2026")
    assert (await identity.login(person.email)).status_code == 200
    for _ in range(2):
        assert (await identity.login(person.email, "Sbagliata-2026")).status_code == 401
    assert (await identity.login(person.email)).status_code == 200


async def test_repeated_failures_from_one_address_block_that_address_only(make_identity) -> None:  # noqa: ANN001
    identity = await make_identity(login_max_failures_per_address=4)
    person, _ = await identity.citizen()
    async with identity.client_from("203.0.113.7") as attacker, identity.client_from("198.51.100.9") as other:
        for n in range(4):
            email = f"bersaglio{n}.{uuid.uuid4().hex[:6]}@example.it"
            response = await attacker.post(
                identity.url("/auth/login"), json={"email": email, "password": "x1"}
            )
            assert response.status_code == 401
        blocked = await attacker.post(
            identity.url("/auth/login"), json={"email": person.email, "password": person.password}
        )
        assert (blocked.status_code, blocked.json()["code"]) == (429, "too_many_attempts")
        assert int(blocked.headers["Retry-After"]) > 0
        fine = await other.post(
            identity.url("/auth/login"), json={"email": person.email, "password": person.password}
        )
        assert fine.status_code == 200


async def test_refresh_rotates_and_reuse_revokes_the_family(identity) -> None:  # noqa: ANN001
    _, first = await identity.citizen()
    refresh = identity.url("/auth/refresh")
    second = await identity.client.post(refresh, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    third = await identity.client.post(refresh, json={"refresh_token": second.json()["refresh_token"]})
    assert third.status_code == 200

    reused = await identity.client.post(refresh, json={"refresh_token": first["refresh_token"]})
    assert (reused.status_code, reused.json()["code"]) == (401, "refresh_token_reused")
    # The whole login is over, the newest token included.
    latest = await identity.client.post(refresh, json={"refresh_token": third.json()["refresh_token"]})
    assert (latest.status_code, latest.json()["code"]) == (401, "refresh_token_invalid")


async def test_reuse_does_not_end_other_logins(identity) -> None:  # noqa: ANN001
    person, first = await identity.citizen()
    other_device = await identity.tokens(person.email)
    refresh = identity.url("/auth/refresh")
    await identity.client.post(refresh, json={"refresh_token": first["refresh_token"]})
    await identity.client.post(refresh, json={"refresh_token": first["refresh_token"]})
    still = await identity.client.post(refresh, json={"refresh_token": other_device["refresh_token"]})
    assert still.status_code == 200


async def test_unknown_refresh_token_is_refused(identity) -> None:  # noqa: ANN001
    response = await identity.client.post(identity.url("/auth/refresh"), json={"refresh_token": "inventato"})
    assert (response.status_code, response.json()["code"]) == (401, "refresh_token_invalid")


async def test_an_expired_refresh_token_is_refused(make_identity) -> None:  # noqa: ANN001
    import asyncio

    identity = await make_identity(refresh_token_ttl_s=1)
    _, tokens = await identity.citizen()
    await asyncio.sleep(1.1)
    response = await identity.client.post(
        identity.url("/auth/refresh"), json={"refresh_token": tokens["refresh_token"]}
    )
    assert (response.status_code, response.json()["code"]) == (401, "refresh_token_invalid")


async def test_logout_ends_the_refresh_family(identity) -> None:  # noqa: ANN001
    _, tokens = await identity.citizen()
    rotated = (
        await identity.client.post(
            identity.url("/auth/refresh"), json={"refresh_token": tokens["refresh_token"]}
        )
    ).json()
    logout = await identity.client.post(
        identity.url("/auth/logout"), json={"refresh_token": rotated["refresh_token"]}
    )
    assert logout.status_code == 204
    after = await identity.client.post(
        identity.url("/auth/refresh"), json={"refresh_token": rotated["refresh_token"]}
    )
    assert after.status_code == 401
    # Logging out twice, or with an unknown token, is harmless.
    again = await identity.client.post(identity.url("/auth/logout"), json={"refresh_token": "inventato"})
    assert again.status_code == 204


async def test_a_token_signed_by_another_key_is_refused(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    me = await identity.client.get(identity.url("/me"), headers=identity.bearer(tokens["access_token"]))
    user_id = uuid.UUID(me.json()["user_id"])
    stranger = TestIssuer()
    forged = stranger.token(user_id, "admin", email=person.email)
    response = await identity.client.get(identity.url("/me"), headers=identity.bearer(forged))
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
    # Same kid as the real key, different key.
    impostor = ECKey.generate_key("P-256", parameters={"kid": identity.runtime.keys.active_kid})
    forged = stranger.token(user_id, "admin", email=person.email, key=impostor)
    response = await identity.client.get(identity.url("/me"), headers=identity.bearer(forged))
    assert response.status_code == 401


async def test_alg_none_and_hmac_confusion_are_refused(identity) -> None:  # noqa: ANN001
    _, tokens = await identity.citizen()
    claims = jwt.decode(
        tokens["access_token"],
        KeySet.import_key_set((await identity.client.get(identity.url("/.well-known/jwks.json"))).json()),
    ).claims
    kid = identity.runtime.keys.active_kid
    unsigned = f"{_b64({'alg': 'none', 'kid': kid, 'typ': 'JWT'})}.{_b64({**claims, 'role': 'admin'})}."
    response = await identity.client.get(identity.url("/me"), headers=identity.bearer(unsigned))
    assert response.status_code == 401
    active = await identity.runtime.keys.signing_key(identity.db)
    public = json.dumps(active.as_dict(private=False)).encode()
    hmac_token = jwt.encode({"alg": "HS256", "kid": kid}, claims, OctKey.import_key(public))
    response = await identity.client.get(identity.url("/me"), headers=identity.bearer(hmac_token))
    assert response.status_code == 401


async def test_an_expired_access_token_is_refused(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    me = await identity.client.get(identity.url("/me"), headers=identity.bearer(tokens["access_token"]))
    expired = await identity.runtime.keys.issue_access_token(
        identity.db,
        user_id=uuid.UUID(me.json()["user_id"]),
        role="citizen",
        email=person.email,
        now=time.time() - 3600,
    )
    response = await identity.client.get(identity.url("/me"), headers=identity.bearer(expired))
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")


async def test_no_token_is_refused(identity) -> None:  # noqa: ANN001
    assert (await identity.client.get(identity.url("/me"))).status_code == 401
    garbage = await identity.client.get(identity.url("/me"), headers={"Authorization": "Bearer a.b.c"})
    assert garbage.status_code == 401


async def test_key_rotation_publishes_first_then_signs_and_keeps_old_tokens_valid(
    make_identity,
    make_database,  # noqa: ANN001
) -> None:
    # Its own database: the other tests' replicas must not see this rotation.
    identity = await make_identity(database_url=await make_database("identity", migrate="identity"))
    keys = identity.runtime.keys
    person, before = await identity.citizen()
    old_kid = keys.active_kid

    upcoming = await keys.rotate(identity.db)
    jwks = (await identity.client.get(identity.url("/.well-known/jwks.json"))).json()
    assert {old_kid, upcoming.kid} <= {k["kid"] for k in jwks["keys"]}
    assert keys.active_kid == old_kid  # published, not signing yet

    replacement = await keys.rotate(identity.db, immediately=True)
    assert keys.active_kid == replacement.kid
    after = await identity.tokens(person.email)
    header = json.loads(base64.urlsafe_b64decode(after["access_token"].split(".")[0] + "=="))
    assert header["kid"] == replacement.kid
    published = {
        k["kid"] for k in (await identity.client.get(identity.url("/.well-known/jwks.json"))).json()["keys"]
    }
    assert published == {replacement.kid}
    me = await identity.client.get(identity.url("/me"), headers=identity.bearer(after["access_token"]))
    assert me.status_code == 200
    assert before["access_token"] != after["access_token"]
