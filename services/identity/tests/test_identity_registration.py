"""Registration (Fase 3) through the API, against the real database and broker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from codicefiscale import codicefiscale


def field_errors(response) -> dict[str, str]:  # noqa: ANN001
    return {e["field"]: e["message"] for e in response.json().get("errors", [])}


async def test_registration_happy_path_then_login(identity, person) -> None:  # noqa: ANN001
    started = await identity.start(person)
    assert started.status_code == 201
    body = started.json()
    assert body["email"] == person.email
    assert set(body) == {"registration_id", "resume_token", "expires_at", "email"}
    registration_id = body["registration_id"]

    [event] = await identity.payloads("identity.registration.started", registration_id=registration_id)
    assert len(event["otp"]) == 6 and event["otp"].isdigit()
    assert (
        event["resume_url"]
        == f"https://parking.test/registrazione/{registration_id}?t={body['resume_token']}"
    )
    assert event["email"] == person.email

    status = await identity.client.get(
        identity.url(f"/registrations/{registration_id}"), headers=identity.session_headers(registration_id)
    )
    assert status.status_code == 200
    assert status.json()["tax_code"] == person.tax_code
    assert 590 <= status.json()["seconds_left"] <= 600

    completed = await identity.complete(registration_id, person.complete_body(event["otp"]))
    assert completed.status_code == 201
    user_id = completed.json()["user_id"]

    [registered] = await identity.payloads("identity.user.registered", user_id=user_id)
    assert registered["email"] == person.email
    assert registered["tax_code"] == person.tax_code
    assert (registered["first_name"], registered["last_name"]) == (person.first_name, person.last_name)
    # v2: the details other services print on documents.
    assert registered["municipality"] == "Caserta"
    assert registered["birth_date"] and registered["birth_place"] and registered["address_street"]

    login = await identity.login(person.email)
    assert login.status_code == 200
    assert login.json()["role"] == "citizen"
    me = await identity.client.get(identity.url("/me"), headers=identity.bearer(login.json()["access_token"]))
    assert me.status_code == 200
    assert me.json()["user_id"] == user_id
    assert me.json()["municipality"] == "Caserta"
    assert me.json()["phone"] == "+390823123456"

    # The session is consumed.
    again = await identity.complete(registration_id, person.complete_body(event["otp"]))
    assert again.status_code == 404


async def test_the_password_is_stored_only_as_an_argon2id_hash(identity, person) -> None:  # noqa: ANN001
    from identity.models import RegistrationSession

    registration_id = (await identity.start(person)).json()["registration_id"]
    async with identity.db.session() as session:
        row = await session.get(RegistrationSession, uuid.UUID(registration_id))
    assert row.password_hash.startswith("$argon2id$")
    assert person.password not in row.password_hash
    otp = await identity.otp(registration_id)
    assert otp not in row.otp_hash
    for envelope in await identity.events("identity.registration.started"):
        assert person.password not in str(envelope)


async def test_duplicate_email_of_an_account_is_refused_case_insensitively(identity, people) -> None:  # noqa: ANN001
    first = people()
    await identity.register(first)
    response = await identity.start(people(email=first.email.upper()))
    assert response.status_code == 409
    assert response.json()["code"] == "email_in_use"
    assert response.json()["detail"] == "L'indirizzo email è già associato a un altro account."
    assert field_errors(response) == {"email": "L'indirizzo email è già associato a un altro account."}
    assert response.headers["content-type"] == "application/problem+json"


async def test_duplicate_tax_code_of_an_account_is_refused_case_insensitively(identity, people) -> None:  # noqa: ANN001
    first = people()
    await identity.register(first)
    response = await identity.start(people(tax_code=first.tax_code.lower()))
    assert response.status_code == 409
    assert response.json()["code"] == "tax_code_in_use"
    assert field_errors(response) == {"tax_code": "Il codice fiscale è già associato a un altro account."}


async def test_a_live_session_holds_its_email_and_tax_code(identity, people) -> None:  # noqa: ANN001
    first = people()
    assert (await identity.start(first)).status_code == 201
    same_email = await identity.start(people(email=first.email.title()))
    assert (same_email.status_code, same_email.json()["code"]) == (409, "email_in_use")
    same_cf = await identity.start(people(tax_code=first.tax_code.lower()))
    assert (same_cf.status_code, same_cf.json()["code"]) == (409, "tax_code_in_use")
    both = await identity.start(first)
    assert both.status_code == 409
    assert set(field_errors(both)) == {"email", "tax_code"}


async def test_invalid_fields_are_reported_one_by_one(identity, person) -> None:  # noqa: ANN001
    response = await identity.start(
        person,
        email="non-una-email",
        tax_code="RSSMRA80E12B963Y",
        password="password1",
        password_confirmation="password1",
        privacy_accepted=False,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    errors = field_errors(response)
    assert errors["email"] == "L'indirizzo email non è valido."
    assert errors["tax_code"] == "Il codice fiscale non è valido."
    assert "password" in errors
    assert errors["privacy_accepted"] == "È obbligatorio accettare l'informativa privacy."
    assert await identity.payloads("identity.registration.started", email=person.email) == []


async def test_weak_and_common_passwords_are_refused(identity, person) -> None:  # noqa: ANN001
    for password, code in [
        ("corta1", "password_too_short"),
        ("senzanumeri", "password_no_digit"),
        ("1234567890", "password_no_letter"),
        ("Qwerty123", "password_common"),
        ("trustno1", "password_common"),
    ]:
        response = await identity.start(person, password=password, password_confirmation=password)
        assert response.status_code == 422, password
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("password", code)]


async def test_a_different_confirmation_is_refused(identity, person) -> None:  # noqa: ANN001
    response = await identity.start(person, password_confirmation="Volturno-2027")
    assert response.status_code == 422
    assert field_errors(response) == {"password_confirmation": "Le password non coincidono."}


async def test_privacy_not_accepted_or_missing_is_refused(identity, person) -> None:  # noqa: ANN001
    for overrides in ({"privacy_accepted": False}, {}):
        body = person.start_body(**overrides)
        if not overrides:
            del body["privacy_accepted"]
        response = await identity.client.post(identity.url("/registrations"), json=body)
        assert response.status_code == 422
        assert field_errors(response) == {
            "privacy_accepted": "È obbligatorio accettare l'informativa privacy."
        }


async def test_an_omocode_tax_code_registers(identity, people) -> None:  # noqa: ANN001
    base = people()
    omocode = next(c for c in codicefiscale.decode(base.tax_code)["omocodes"] if c != base.tax_code)
    await identity.register(
        people(
            tax_code=omocode,
            **{k: getattr(base, k) for k in ("first_name", "last_name", "sex", "birth_date", "birth_place")},
        )
    )


async def test_tax_code_mismatch_names_each_disagreeing_part(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    response = await identity.complete(
        registration_id, person.complete_body(otp, last_name="Bianchi", birth_place="Napoli")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "tax_code_mismatch"
    assert field_errors(response) == {
        "last_name": "Il cognome non corrisponde al codice fiscale.",
        "birth_place": "Il luogo di nascita non corrisponde al codice fiscale.",
    }
    other_sex = "M" if person.sex == "F" else "F"
    response = await identity.complete(registration_id, person.complete_body(otp, sex=other_sex))
    assert field_errors(response) == {"sex": "Il sesso non corrisponde al codice fiscale."}
    # Corrected, the same OTP completes the registration.
    assert (await identity.complete(registration_id, person.complete_body(otp))).status_code == 201


async def test_anagrafica_rules_are_checked(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    response = await identity.complete(
        registration_id, person.complete_body(otp, postcode="811", birth_date="2999-01-01", first_name="")
    )
    assert response.status_code == 422
    assert set(field_errors(response)) == {"postcode", "birth_date", "first_name"}


async def test_five_wrong_otps_lock_the_session_and_free_the_email(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    wrong = f"{(int(otp) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        response = await identity.complete(registration_id, person.complete_body(wrong))
        assert response.status_code == 422
        assert response.json()["code"] == "otp_invalid"
        assert response.json()["detail"] == f"Codice OTP non valido. Tentativi rimasti: {left}."
    fifth = await identity.complete(registration_id, person.complete_body(wrong))
    assert (fifth.status_code, fifth.json()["code"]) == (423, "otp_locked")
    assert fifth.json()["detail"] == "Troppi tentativi errati: inizia una nuova registrazione."
    # Even the right OTP is refused now.
    right = await identity.complete(registration_id, person.complete_body(otp))
    assert (right.status_code, right.json()["code"]) == (423, "otp_locked")
    # A new registration with the same e-mail and codice fiscale may start at once.
    assert (await identity.start(person)).status_code == 201


async def test_resend_is_refused_within_the_interval(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    response = await identity.client.post(
        identity.url(f"/registrations/{registration_id}/otp"),
        headers=identity.session_headers(registration_id),
    )
    assert response.status_code == 429
    assert response.json()["code"] == "otp_resend_too_soon"
    assert 55 <= int(response.headers["Retry-After"]) <= 60


async def test_resend_sends_a_new_otp_at_most_five_times(make_identity, person) -> None:  # noqa: ANN001
    # The session's own limit here, not the mailbox's (tested in test_identity_registration_limits).
    identity = await make_identity(otp_resend_interval_s=0)
    registration_id = (await identity.start(person)).json()["registration_id"]
    first_otp = await identity.otp(registration_id)
    url = identity.url(f"/registrations/{registration_id}/otp")
    for _ in range(5):
        response = await identity.client.post(url, headers=identity.session_headers(registration_id))
        assert response.status_code == 202
    resent = await identity.payloads("identity.registration.otp_resent", registration_id=registration_id)
    assert len(resent) == 5
    assert resent[0]["resume_url"].endswith(f"?t={identity.registrations[registration_id]}")
    sixth = await identity.client.post(url, headers=identity.session_headers(registration_id))
    assert sixth.status_code == 429
    assert int(sixth.headers["Retry-After"]) > 0
    # Only the last OTP is good.
    new_otp = resent[-1]["otp"]
    if first_otp != new_otp:
        stale = await identity.complete(registration_id, person.complete_body(first_otp))
        assert stale.json()["code"] == "otp_invalid"
    assert (await identity.complete(registration_id, person.complete_body(new_otp))).status_code == 201


async def test_an_expired_session_answers_410_and_frees_email_and_tax_code(make_identity, person) -> None:  # noqa: ANN001
    short = await make_identity(registration_ttl_s=1)
    registration_id = (await short.start(person)).json()["registration_id"]
    otp = await short.otp(registration_id)
    await asyncio.sleep(1.2)
    headers = short.session_headers(registration_id)
    status = await short.client.get(short.url(f"/registrations/{registration_id}"), headers=headers)
    assert (status.status_code, status.json()["code"]) == (410, "registration_expired")
    assert (
        status.json()["detail"] == "La sessione di registrazione è scaduta: inizia una nuova registrazione."
    )
    completed = await short.complete(registration_id, person.complete_body(otp))
    assert completed.status_code == 410
    resend = await short.client.post(short.url(f"/registrations/{registration_id}/otp"), headers=headers)
    assert resend.status_code == 410
    again = await short.start(person)
    assert again.status_code == 201


async def test_unknown_session_or_wrong_token_is_not_found(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    for path, headers in [
        (f"/registrations/{registration_id}", {"X-Registration-Token": "sbagliato"}),
        (f"/registrations/{registration_id}", {}),
        (f"/registrations/{uuid.uuid4()}", identity.session_headers(registration_id)),
        ("/registrations/non-un-id", identity.session_headers(registration_id)),
    ]:
        response = await identity.client.get(identity.url(path), headers=headers)
        assert (response.status_code, response.json()["code"]) == (404, "registration_not_found"), path


async def test_simultaneous_registrations_with_one_email_let_exactly_one_win(identity, people) -> None:  # noqa: ANN001
    first = people()
    rivals = [first] + [people(email=first.email) for _ in range(4)]
    responses = await asyncio.gather(*(identity.start(p) for p in rivals))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"email_in_use"}
    assert len(await identity.payloads("identity.registration.started", email=first.email)) == 1


async def test_simultaneous_registrations_with_one_tax_code_let_exactly_one_win(identity, people) -> None:  # noqa: ANN001
    first = people()
    rivals = [first] + [people(tax_code=first.tax_code) for _ in range(4)]
    responses = await asyncio.gather(*(identity.start(p) for p in rivals))
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"tax_code_in_use"}


async def test_the_session_lasts_ten_minutes_from_its_start(identity, person) -> None:  # noqa: ANN001
    before = datetime.now(UTC)
    body = (await identity.start(person)).json()
    lasts = datetime.fromisoformat(body["expires_at"]) - before
    assert timedelta(seconds=598) <= lasts <= timedelta(seconds=601)


async def test_the_unique_indexes_alone_refuse_a_duplicate_that_passed_the_check(
    identity,
    people,
    monkeypatch,  # noqa: ANN001
) -> None:
    """What a race looks like: both registrations saw the address free."""
    from identity.service import registrations

    async def nothing_taken(*args, **kwargs) -> set[str]:  # noqa: ANN002, ANN003
        return set()

    first = people()
    assert (await identity.start(first)).status_code == 201
    monkeypatch.setattr(registrations, "taken_fields", nothing_taken)
    same_email = await identity.start(people(email=first.email.upper()))
    assert (same_email.status_code, same_email.json()["code"]) == (409, "email_in_use")
    assert field_errors(same_email) == {"email": "L'indirizzo email è già associato a un altro account."}
    same_cf = await identity.start(people(tax_code=first.tax_code))
    assert (same_cf.status_code, same_cf.json()["code"]) == (409, "tax_code_in_use")


async def test_completing_a_session_whose_email_was_taken_meanwhile_gives_409(identity, person) -> None:  # noqa: ANN001
    from identity.models import Account

    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    # Only a race can do this: an account with the same address written meanwhile.
    async with identity.db.session() as session:
        session.add(Account(email=person.email.upper(), role="operator", password_hash="x"))
        await session.commit()
    response = await identity.complete(registration_id, person.complete_body(otp))
    assert (response.status_code, response.json()["code"]) == (409, "email_in_use")
    assert await identity.payloads("identity.user.registered", email=person.email) == []


async def test_expired_sessions_are_purged_after_the_grace_period(make_identity, person) -> None:  # noqa: ANN001
    from identity.service.maintenance import purge_expired
    from kit.uow import unit_of_work

    short = await make_identity(registration_ttl_s=1, purge_grace_s=0)
    registration_id = (await short.start(person)).json()["registration_id"]
    await asyncio.sleep(1.1)
    async with unit_of_work(short.db) as session:
        counts = await purge_expired(session, short.runtime, short.runtime.clock.now())
    assert counts["registration_sessions"] >= 1
    gone = await short.client.get(
        short.url(f"/registrations/{registration_id}"), headers=short.session_headers(registration_id)
    )
    assert gone.status_code == 404
