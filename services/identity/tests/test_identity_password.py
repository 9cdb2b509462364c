"""Password recovery: no account enumeration, single-use links that end every session."""

from __future__ import annotations

import uuid

from sqlalchemy import event

from identity.service.passwords import forgot
from kit.uow import unit_of_work

FORGOT = "Se l'indirizzo è registrato, riceverai un'email con le istruzioni."


async def _forgot(identity, email: str):  # noqa: ANN001, ANN202
    return await identity.client.post(identity.url("/password/forgot"), json={"email": email})


async def test_forgot_answers_the_same_for_existing_and_unknown_addresses(identity) -> None:  # noqa: ANN001
    person, _ = await identity.citizen()
    existing = await _forgot(identity, person.email)
    unknown = await _forgot(identity, f"nessuno.{uuid.uuid4().hex[:6]}@example.it")
    malformed = await _forgot(identity, "non-una-email")
    for response in (existing, unknown, malformed):
        assert response.status_code == 202
        assert response.json() == {"detail": FORGOT}
        assert response.headers["content-type"] == existing.headers["content-type"]
    [event] = await identity.payloads("identity.password_reset.requested", email=person.email)
    assert event["reset_url"].startswith("https://parking.test/password/reimposta?t=")
    assert len(identity.query_token(event["reset_url"])) >= 40
    assert await identity.payloads("identity.password_reset.requested", email="non-una-email") == []


async def test_reset_changes_the_password_ends_every_session_and_works_once(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    other_device = await identity.tokens(person.email)
    await _forgot(identity, person.email)
    [event] = await identity.payloads("identity.password_reset.requested", email=person.email)
    token = identity.query_token(event["reset_url"])
    body = {"token": token, "password": "Reggia-Vanvitelli-1", "password_confirmation": "Reggia-Vanvitelli-1"}

    response = await identity.client.post(identity.url("/password/reset"), json=body)
    assert response.status_code == 204

    for refresh in (tokens["refresh_token"], other_device["refresh_token"]):
        ended = await identity.client.post(identity.url("/auth/refresh"), json={"refresh_token": refresh})
        assert ended.status_code == 401
    assert (await identity.login(person.email)).status_code == 401
    assert (await identity.login(person.email, "Reggia-Vanvitelli-1")).status_code == 200

    reused = await identity.client.post(
        identity.url("/password/reset"),
        json={**body, "password": "Altra-Password-9", "password_confirmation": "Altra-Password-9"},
    )
    assert reused.status_code == 400
    assert reused.json()["code"] == "reset_token_invalid"
    assert reused.json()["detail"] == "Il link non è valido o è scaduto."


async def test_reset_refuses_a_weak_password_without_using_the_link(identity) -> None:  # noqa: ANN001
    person, _ = await identity.citizen()
    await _forgot(identity, person.email)
    [event] = await identity.payloads("identity.password_reset.requested", email=person.email)
    token = identity.query_token(event["reset_url"])
    weak = await identity.client.post(
        identity.url("/password/reset"),
        json={"token": token, "password": "password1", "password_confirmation": "password1"},
    )
    assert weak.status_code == 422
    assert [e["code"] for e in weak.json()["errors"]] == ["password_common"]
    mismatch = await identity.client.post(
        identity.url("/password/reset"),
        json={"token": token, "password": "Caserta-Nuova-7", "password_confirmation": "Caserta-Nuova-8"},
    )
    assert [e["field"] for e in mismatch.json()["errors"]] == ["password_confirmation"]
    good = await identity.client.post(
        identity.url("/password/reset"),
        json={"token": token, "password": "Caserta-Nuova-7", "password_confirmation": "Caserta-Nuova-7"},
    )
    assert good.status_code == 204


async def test_an_unknown_or_expired_link_is_refused(make_identity) -> None:  # noqa: ANN001
    import asyncio

    identity = await make_identity(password_reset_ttl_s=1)
    person, _ = await identity.citizen()
    await _forgot(identity, person.email)
    [event] = await identity.payloads("identity.password_reset.requested", email=person.email)
    await asyncio.sleep(1.1)
    body = {"password": "Caserta-Nuova-7", "password_confirmation": "Caserta-Nuova-7"}
    for token in (identity.query_token(event["reset_url"]), "inventato"):
        response = await identity.client.post(identity.url("/password/reset"), json={"token": token, **body})
        assert (response.status_code, response.json()["code"]) == (400, "reset_token_invalid")


async def test_a_second_request_within_a_minute_sends_no_second_email(identity) -> None:  # noqa: ANN001
    person, _ = await identity.citizen()
    first = await _forgot(identity, person.email)
    second = await _forgot(identity, person.email)
    assert first.json() == second.json()
    assert len(await identity.payloads("identity.password_reset.requested", email=person.email)) == 1


async def _statements_of_forgot(identity, email: str) -> list[str]:  # noqa: ANN001
    """The SQL statements one forgot-password request runs on its own connection."""
    seen: list[tuple[object, str]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, ARG001
        seen.append((conn, statement))

    engine = identity.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        async with unit_of_work(identity.db) as session:
            own = (await session.connection()).sync_connection
            await forgot(session, identity.runtime, email)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [statement for conn, statement in seen if conn is own]


async def test_forgot_runs_the_same_statements_for_known_and_unknown_addresses(identity) -> None:  # noqa: ANN001
    person, _ = await identity.citizen()
    existing = await _statements_of_forgot(identity, person.email)
    assert len(await identity.payloads("identity.password_reset.requested", email=person.email)) == 1
    just_sent = await _statements_of_forgot(identity, person.email)  # within the interval: no e-mail
    unknown_email = f"nessuno.{uuid.uuid4().hex[:6]}@example.it"
    unknown = await _statements_of_forgot(identity, unknown_email)
    malformed = await _statements_of_forgot(identity, "non-una-email")
    assert len(existing) >= 3
    assert existing == just_sent == unknown == malformed
    assert len(await identity.payloads("identity.password_reset.requested", email=person.email)) == 1
    assert await identity.payloads("identity.password_reset.requested", email=unknown_email) == []
