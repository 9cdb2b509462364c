"""The browser's address behind the portal (finding 5 of issue 10): identity believes an
address only when the portal signed it, so that a client cannot choose its throttling bucket."""

from __future__ import annotations

import time

from kit.client_address import signed_headers

PORTAL = "10.0.0.5"


async def test_logins_through_the_portal_are_throttled_per_signed_browser_address(make_identity) -> None:  # noqa: ANN001
    identity = await make_identity()
    person, _ = await identity.citizen()
    secret = identity.settings.client_address_secret.get_secret_value().encode()

    async def login(portal, password: str, address: str):  # noqa: ANN001, ANN202
        return await portal.post(
            identity.url("/auth/login"),
            json={"email": person.email, "password": password},
            headers=signed_headers(address, secret),
        )

    async with identity.client_from(PORTAL) as portal:
        wrong = [(await login(portal, "Sbagliata-1", "203.0.113.1")).status_code for _ in range(6)]
        # The owner, at another browser behind the same portal, is not the attacker.
        owner = await login(portal, identity.password, "203.0.113.2")
        attacker_right = await login(portal, identity.password, "203.0.113.1")

    assert wrong == [401] * 5 + [429]
    assert owner.status_code == 200, owner.text
    assert attacker_right.status_code == 429


async def test_an_unsigned_forged_or_stale_address_is_not_believed(make_identity) -> None:  # noqa: ANN001
    identity = await make_identity()
    person, _ = await identity.citizen()
    secret = identity.settings.client_address_secret.get_secret_value().encode()
    named = "203.0.113.9"
    claims = [
        {"X-Forwarded-For": named},
        {"X-Client-Address": named},
        {"X-Client-Address": named, "X-Client-Address-Signature": f"{int(time.time())}.{'0' * 64}"},
        signed_headers(named, b"another-secret"),
        signed_headers(named, secret, now=time.time() - 3600),
    ]
    async with identity.client_from("198.51.100.7") as attacker:
        for headers in claims:
            await attacker.post(
                identity.url("/auth/login"),
                json={"email": person.email, "password": "Sbagliata-1"},
                headers=headers,
            )
        # Five failures from the attacker's own address, whatever it claimed.
        blocked = await attacker.post(
            identity.url("/auth/login"), json={"email": person.email, "password": identity.password}
        )
        # ...and none against the address it named.
        named_login = await attacker.post(
            identity.url("/auth/login"),
            json={"email": person.email, "password": identity.password},
            headers=signed_headers(named, secret),
        )

    assert blocked.status_code == 429
    assert named_login.status_code == 200, named_login.text
