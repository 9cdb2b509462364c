"""The citizen's own data, the e-mail change, and operators looking accounts up."""

from __future__ import annotations

import uuid


async def test_me_returns_the_documented_fields(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    me = await identity.client.get(identity.url("/me"), headers=identity.bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert set(me.json()) == {
        "user_id",
        "email",
        "tax_code",
        "first_name",
        "last_name",
        "sex",
        "birth_date",
        "birth_place",
        "address_street",
        "address_number",
        "postcode",
        "municipality",
        "phone",
        "role",
        "created_at",
    }
    assert me.json()["birth_date"] == person.birth_date.isoformat()
    assert me.json()["tax_code"] == person.tax_code


async def test_patch_changes_contacts_and_emits_profile_changed(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    response = await identity.client.patch(
        identity.url("/me"),
        json={"address_street": "  Via   Roma ", "address_number": "3", "phone": "333 1234567"},
        headers=identity.bearer(tokens["access_token"]),
    )
    assert response.status_code == 200
    assert response.json()["address_street"] == "Via Roma"
    assert response.json()["phone"] == "3331234567"
    [event] = await identity.payloads("identity.user.profile_changed", email=person.email)
    assert event["phone"] == "3331234567"
    assert event["tax_code"] == person.tax_code


async def test_patch_refuses_fields_bound_to_the_tax_code_and_bad_values(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    headers = identity.bearer(tokens["access_token"])
    bound = await identity.client.patch(identity.url("/me"), json={"first_name": "Altro"}, headers=headers)
    assert bound.status_code == 422
    assert bound.json()["errors"][0]["field"] == "first_name"
    bad = await identity.client.patch(
        identity.url("/me"), json={"postcode": "ABC", "municipality": None}, headers=headers
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"postcode", "municipality"}
    assert await identity.payloads("identity.user.profile_changed", email=person.email) == []


async def test_email_change_with_otp_to_the_new_address(identity, people) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    headers = identity.bearer(tokens["access_token"])
    new_email = f"nuovo.{uuid.uuid4().hex[:8]}@example.it"
    wrong_password = await identity.client.post(
        identity.url("/me/email"), json={"new_email": new_email, "password": "Sbagliata-1"}, headers=headers
    )
    assert (wrong_password.status_code, wrong_password.json()["code"]) == (422, "password_incorrect")
    taken = await identity.client.post(
        identity.url("/me/email"),
        json={"new_email": (await identity.citizen())[0].email, "password": person.password},
        headers=headers,
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "email_in_use")
    assert taken.json()["errors"][0]["field"] == "new_email"

    requested = await identity.client.post(
        identity.url("/me/email"), json={"new_email": new_email, "password": person.password}, headers=headers
    )
    assert requested.status_code == 202
    [event] = await identity.payloads("identity.email_change.requested", new_email=new_email)
    wrong = await identity.client.post(
        identity.url("/me/email/confirm"),
        json={"otp": f"{(int(event['otp']) + 1) % 1_000_000:06d}"},
        headers=headers,
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "otp_invalid")
    confirmed = await identity.client.post(
        identity.url("/me/email/confirm"), json={"otp": event["otp"]}, headers=headers
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["email"] == new_email
    [changed] = await identity.payloads("identity.user.profile_changed", email=new_email)
    assert changed["tax_code"] == person.tax_code
    assert (await identity.login(new_email)).status_code == 200
    assert (await identity.login(person.email)).status_code == 401


async def _change_email(identity, person, access_token: str) -> str:  # noqa: ANN001
    headers = identity.bearer(access_token)
    new_email = f"nuovo.{uuid.uuid4().hex[:8]}@example.it"
    requested = await identity.client.post(
        identity.url("/me/email"), json={"new_email": new_email, "password": person.password}, headers=headers
    )
    assert requested.status_code == 202
    [event] = await identity.payloads("identity.email_change.requested", new_email=new_email)
    confirmed = await identity.client.post(
        identity.url("/me/email/confirm"), json={"otp": event["otp"]}, headers=headers
    )
    assert confirmed.status_code == 200
    return new_email


async def _refresh_status(identity, refresh_token: str) -> int:  # noqa: ANN001
    response = await identity.client.post(
        identity.url("/auth/refresh"), json={"refresh_token": refresh_token}
    )
    return response.status_code


async def test_email_change_tells_the_old_address_and_ends_the_other_sessions(identity) -> None:  # noqa: ANN001
    person, this_session = await identity.citizen()
    other_session = await identity.tokens(person.email)
    third_session = await identity.tokens(person.email)

    new_email = await _change_email(identity, person, this_session["access_token"])

    [changed] = await identity.payloads("identity.user.email_changed", new_email=new_email)
    assert changed["old_email"] == person.email
    me = await identity.client.get(identity.url("/me"), headers=identity.bearer(this_session["access_token"]))
    assert changed["user_id"] == me.json()["user_id"]
    assert changed["changed_at"]
    assert await _refresh_status(identity, other_session["refresh_token"]) == 401
    assert await _refresh_status(identity, third_session["refresh_token"]) == 401
    # The session that confirmed the change goes on.
    assert await _refresh_status(identity, this_session["refresh_token"]) == 200


async def test_email_change_from_a_token_without_session_ends_every_session(identity) -> None:  # noqa: ANN001
    person, first = await identity.citizen()
    second = await identity.tokens(person.email)
    me = await identity.client.get(identity.url("/me"), headers=identity.bearer(first["access_token"]))
    # An access token issued before the ``sid`` claim existed: the login is unknown.
    legacy = await identity.runtime.keys.issue_access_token(
        identity.db, user_id=uuid.UUID(me.json()["user_id"]), role="citizen", email=person.email
    )

    new_email = await _change_email(identity, person, legacy)

    [changed] = await identity.payloads("identity.user.email_changed", new_email=new_email)
    assert changed["old_email"] == person.email
    assert await _refresh_status(identity, first["refresh_token"]) == 401
    assert await _refresh_status(identity, second["refresh_token"]) == 401


async def test_citizen_gets_403_on_admin_users(identity) -> None:  # noqa: ANN001
    _, tokens = await identity.citizen()
    response = await identity.client.get(
        identity.url("/admin/users"),
        params={"q": "Esposito"},
        headers=identity.bearer(tokens["access_token"]),
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


async def test_operator_finds_citizens_by_name_email_or_tax_code(identity) -> None:  # noqa: ANN001
    person, _ = await identity.citizen()
    _, staff = await identity.staff("operator")
    headers = identity.bearer(staff["access_token"])
    for q in (
        person.tax_code.lower(),
        person.email.split("@")[0].upper(),
        f"{person.first_name} {person.last_name}",
    ):
        response = await identity.client.get(identity.url("/admin/users"), params={"q": q}, headers=headers)
        assert response.status_code == 200, q
        assert person.email in {a["email"] for a in response.json()["items"]}, q
    nothing = await identity.client.get(identity.url("/admin/users"), params={"q": "%_%"}, headers=headers)
    assert nothing.status_code == 200
    assert (nothing.json()["items"], nothing.json()["total"]) == ([], 0)
    [found] = (
        await identity.client.get(
            identity.url("/admin/users"), params={"q": person.tax_code}, headers=headers
        )
    ).json()["items"]
    detail = await identity.client.get(identity.url(f"/admin/users/{found['user_id']}"), headers=headers)
    assert detail.json()["tax_code"] == person.tax_code


async def test_admin_may_search_too(identity) -> None:  # noqa: ANN001
    _, staff = await identity.staff("admin")
    assert staff["role"] == "admin"
    response = await identity.client.get(
        identity.url("/admin/users"),
        params={"q": "comune.caserta"},
        headers=identity.bearer(staff["access_token"]),
    )
    assert response.status_code == 200
    assert response.json()["items"]
    assert all(a["role"] in ("operator", "admin") for a in response.json()["items"])


async def test_simultaneous_email_change_requests_keep_one_pending(identity) -> None:  # noqa: ANN001
    import asyncio

    person, tokens = await identity.citizen()
    headers = identity.bearer(tokens["access_token"])
    targets = [f"nuovo{n}.{uuid.uuid4().hex[:6]}@example.it" for n in range(4)]
    responses = await asyncio.gather(
        *(
            identity.client.post(
                identity.url("/me/email"), json={"new_email": t, "password": person.password}, headers=headers
            )
            for t in targets
        )
    )
    assert [r.status_code for r in responses] == [202] * 4
    otps = {
        t: (await identity.payloads("identity.email_change.requested", new_email=t))[0]["otp"]
        for t in targets
    }
    outcomes = []
    for target, otp in otps.items():
        response = await identity.client.post(
            identity.url("/me/email/confirm"), json={"otp": otp}, headers=headers
        )
        outcomes.append(response.json().get("email") == target)
        if outcomes[-1]:
            break
    assert outcomes.count(True) == 1


async def test_admin_users_list_is_a_page_with_total_limit_and_offset(identity) -> None:  # noqa: ANN001
    marker = uuid.uuid4().hex[:10]
    emails = [
        await identity.create_staff("operator", f"pagina.{marker}.{n}@comune.caserta.it") for n in range(3)
    ]
    _, staff = await identity.staff("operator")
    headers = identity.bearer(staff["access_token"])
    url = identity.url("/admin/users")

    whole = await identity.client.get(url, params={"q": marker}, headers=headers)
    assert whole.status_code == 200
    assert set(whole.json()) == {"items", "total", "limit", "offset"}
    assert (whole.json()["total"], whole.json()["limit"], whole.json()["offset"]) == (3, 20, 0)

    first = (await identity.client.get(url, params={"q": marker, "limit": 2}, headers=headers)).json()
    rest = (
        await identity.client.get(url, params={"q": marker, "limit": 2, "offset": 2}, headers=headers)
    ).json()
    assert (len(first["items"]), first["total"], first["limit"], first["offset"]) == (2, 3, 2, 0)
    assert (len(rest["items"]), rest["total"], rest["limit"], rest["offset"]) == (1, 3, 2, 2)
    assert [a["email"] for a in first["items"] + rest["items"]] == sorted(emails)

    for params in ({"limit": 101}, {"limit": 0}, {"offset": -1}):
        refused = await identity.client.get(url, params={"q": marker, **params}, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (422, "validation_error"), params
