"""`POST /me/password`: the current password, a new one under the registration's policy, and
every other login ended."""

from __future__ import annotations

NEW_PASSWORD = "Vanvitelli-2027"


def field_codes(response) -> dict[str, str]:  # noqa: ANN001
    return {e["field"]: e["code"] for e in response.json().get("errors", [])}


async def change(identity, tokens, **body):  # noqa: ANN001, ANN003, ANN201
    return await identity.client.post(
        identity.url("/me/password"), json=body, headers=identity.bearer(tokens["access_token"])
    )


async def test_a_change_keeps_this_login_and_ends_the_others(identity) -> None:  # noqa: ANN001
    person, here = await identity.citizen()
    elsewhere = await identity.tokens(person.email)
    response = await change(
        identity,
        here,
        current_password=person.password,
        password=NEW_PASSWORD,
        password_confirmation=NEW_PASSWORD,
    )
    assert response.status_code == 204, response.text

    assert (await identity.login(person.email)).status_code == 401
    assert (await identity.login(person.email, NEW_PASSWORD)).status_code == 200
    ended = await identity.client.post(
        identity.url("/auth/refresh"), json={"refresh_token": elsewhere["refresh_token"]}
    )
    assert ended.status_code == 401
    kept = await identity.client.post(
        identity.url("/auth/refresh"), json={"refresh_token": here["refresh_token"]}
    )
    assert kept.status_code == 200


async def test_a_change_voids_the_reset_links_already_sent(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    await identity.client.post(identity.url("/password/forgot"), json={"email": person.email})
    [requested] = await identity.payloads("identity.password_reset.requested", email=person.email)
    body = {
        "current_password": person.password,
        "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD,
    }
    assert (await change(identity, tokens, **body)).status_code == 204
    reset = await identity.client.post(
        identity.url("/password/reset"),
        json={
            "token": identity.query_token(requested["reset_url"]),
            "password": "Altra-2028x",
            "password_confirmation": "Altra-2028x",
        },
    )
    assert (reset.status_code, reset.json()["code"]) == (400, "reset_token_invalid")


async def test_a_wrong_current_password_is_refused_with_the_new_passwords_errors(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    response = await change(
        identity, tokens, current_password="Sbagliata-1", password="corta1", password_confirmation="corta2"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "password_incorrect"
    assert field_codes(response) == {
        "current_password": "password_incorrect",
        "password": "password_too_short",
        "password_confirmation": "password_mismatch",
    }
    # Nothing changed: the old password still logs in.
    assert (await identity.login(person.email)).status_code == 200


async def test_a_weak_or_unchanged_new_password_is_refused(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    for password, code in [
        ("senzanumeri", "password_no_digit"),
        ("Qwerty123", "password_common"),
        (person.password, "password_unchanged"),
    ]:
        response = await change(
            identity,
            tokens,
            current_password=person.password,
            password=password,
            password_confirmation=password,
        )
        assert response.status_code == 422, password
        assert field_codes(response) == {"password": code}, password
    assert (await identity.login(person.email)).status_code == 200


async def test_an_empty_form_names_every_field(identity) -> None:  # noqa: ANN001
    _, tokens = await identity.citizen()
    response = await change(identity, tokens)
    assert response.status_code == 422
    assert field_codes(response) == {
        "current_password": "required",
        "password": "required",
        "password_confirmation": "required",
    }


async def test_repeated_wrong_current_passwords_are_throttled(make_identity) -> None:  # noqa: ANN001
    identity = await make_identity(login_max_failures_per_pair=2)
    person, tokens = await identity.citizen()
    body = {
        "current_password": "Sbagliata-1",
        "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD,
    }
    statuses = [(await change(identity, tokens, **body)).status_code for _ in range(3)]
    assert statuses[:2] == [422, 422]
    assert statuses[2] == 429


async def test_a_change_needs_a_login(identity) -> None:  # noqa: ANN001
    response = await identity.client.post(identity.url("/me/password"), json={})
    assert response.status_code == 401
