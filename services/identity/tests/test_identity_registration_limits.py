"""Registration e-mails per mailbox and registration starts per client address, counted in the
database in a sliding window: restarting a locked registration does not buy more OTP e-mails or
more guesses without end."""

from __future__ import annotations

from datetime import timedelta

from kit.clock import MovableClock

STARTED = "identity.registration.started"


async def lock(identity, registration_id: str, person) -> None:  # noqa: ANN001
    """Five wrong OTPs lock the session (it no longer holds the e-mail)."""
    otp = await identity.otp(registration_id)
    wrong = "000000" if otp != "000000" else "111111"
    for _ in range(identity.settings.otp_max_attempts):
        await identity.complete(registration_id, person.complete_body(wrong))


async def test_the_sixth_registration_of_a_mailbox_in_a_day_is_refused_without_an_email(
    make_identity, person, people
) -> None:  # noqa: ANN001
    identity = await make_identity(registration_max_emails_per_mailbox=5)
    clock = identity.runtime.clock = MovableClock()
    for _ in range(5):
        started = await identity.start(person)
        assert started.status_code == 201, started.text
        await lock(identity, started.json()["registration_id"], person)
    sent_before = len(await identity.payloads(STARTED, email=person.email))

    sixth = await identity.start(person)

    assert sixth.status_code == 429
    assert sixth.json()["code"] == "too_many_registrations"
    assert sixth.json()["detail"].startswith("Troppe richieste di registrazione")
    # The oldest of the five leaves the 24 h window first.
    assert 23 * 3600 < int(sixth.headers["Retry-After"]) <= 24 * 3600
    assert len(await identity.payloads(STARTED, email=person.email)) == sent_before == 5
    # Another mailbox from the same client address still registers.
    other = people()
    assert (await identity.start(other)).status_code == 201
    # A day later the mailbox may register again.
    clock.advance(timedelta(hours=24, seconds=1))
    assert (await identity.start(person)).status_code == 201
    assert len(await identity.payloads(STARTED, email=person.email)) == 6


async def test_otp_resends_count_towards_the_mailbox_cap(make_identity, person) -> None:  # noqa: ANN001
    identity = await make_identity(otp_resend_interval_s=0, registration_max_emails_per_mailbox=3)
    registration_id = (await identity.start(person)).json()["registration_id"]
    url = identity.url(f"/registrations/{registration_id}/otp")
    headers = identity.session_headers(registration_id)
    assert [(await identity.client.post(url, headers=headers)).status_code for _ in range(3)] == [
        202,
        202,
        429,
    ]
    refused = await identity.client.post(url, headers=headers)
    assert refused.json()["code"] == "too_many_registrations"
    assert int(refused.headers["Retry-After"]) > 0
    assert (
        len(await identity.payloads("identity.registration.otp_resent", registration_id=registration_id)) == 2
    )
    # Nor may a new registration of that mailbox send a fourth e-mail.
    await lock(identity, registration_id, person)
    assert (await identity.start(person)).status_code == 429


async def test_a_client_address_starts_a_limited_number_of_registrations_an_hour(
    make_identity, people
) -> None:  # noqa: ANN001
    identity = await make_identity(registration_max_starts_per_address=3)
    clock = identity.runtime.clock = MovableClock()
    client = identity.client_from("198.51.100.23")
    url = identity.url("/registrations")
    # Each mailbox stays under its own cap: the address's cap refuses the fourth.
    statuses = [(await client.post(url, json=people().start_body())).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    refused_person = people()
    refused = await client.post(url, json=refused_person.start_body())
    assert refused.json()["code"] == "too_many_registrations"
    assert 3500 < int(refused.headers["Retry-After"]) <= 3600
    assert await identity.payloads(STARTED, email=refused_person.email) == []
    # Another address is not held back...
    async with identity.client_from("198.51.100.24") as elsewhere:
        assert (await elsewhere.post(url, json=people().start_body())).status_code == 201
    # ...and an hour later this one may start again.
    clock.advance(timedelta(hours=1, seconds=1))
    assert (await client.post(url, json=people().start_body())).status_code == 201
    await client.aclose()
