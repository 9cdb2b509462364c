"""Finding 6 of issue 10: an access token outlives its login by up to its lifetime; identity's
own account routes (which the portal asks before every page) refuse it once the login ended."""

from __future__ import annotations


async def test_the_account_routes_refuse_a_token_whose_login_ended(identity) -> None:  # noqa: ANN001
    person, first = await identity.citizen()
    second = await identity.tokens(person.email)
    _, staff = await identity.staff("operator")

    async def me(tokens) -> int:  # noqa: ANN001
        return (
            await identity.client.get(identity.url("/me"), headers=identity.bearer(tokens["access_token"]))
        ).status_code

    assert await me(first) == 200
    logout = await identity.client.post(
        identity.url("/auth/logout"), json={"refresh_token": first["refresh_token"]}
    )
    assert logout.status_code == 204

    ended = await identity.client.get(identity.url("/me"), headers=identity.bearer(first["access_token"]))
    assert ended.status_code == 401
    assert ended.json()["code"] == "session_ended"
    # The same account's other login goes on.
    assert await me(second) == 200

    # The operators' console too.
    search = identity.url("/admin/users?q=rossi")
    assert (
        await identity.client.get(search, headers=identity.bearer(staff["access_token"]))
    ).status_code == 200
    await identity.client.post(identity.url("/auth/logout"), json={"refresh_token": staff["refresh_token"]})
    refused = await identity.client.get(search, headers=identity.bearer(staff["access_token"]))
    assert refused.status_code == 401
