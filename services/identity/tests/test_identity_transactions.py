"""One owner per transaction: a request refused after it wrote leaves nothing of it, and a refusal
that must be remembered (a wrong OTP, a wrong password) keeps exactly that and nothing else."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import func, select

from identity.models import Account, RegistrationSession
from identity.repository import account_by_email
from kit.db import outbox_table
from kit.uow import unit_of_work


async def _registration(identity, registration_id: str) -> dict[str, Any] | None:  # noqa: ANN001
    async with identity.db.session() as session:
        row = await session.get(RegistrationSession, uuid.UUID(registration_id))
        return row.model_dump() if row else None


async def _account(identity, email: str) -> Account | None:  # noqa: ANN001
    async with identity.db.session() as session:
        return await account_by_email(session, email)


async def _outbox_rows(identity) -> int:  # noqa: ANN001
    async with identity.db.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(outbox_table))).scalar_one()


def _wrong(otp: str) -> str:
    return f"{(int(otp) + 1) % 1_000_000:06d}"


async def test_a_completion_refused_by_a_unique_index_at_flush_leaves_nothing(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    before = await _registration(identity, registration_id)
    # Only a race does this: an account with the same codice fiscale, written meanwhile.
    async with unit_of_work(identity.db) as session:
        session.add(
            Account(
                email=f"altro.{uuid.uuid4().hex[:8]}@example.it",
                tax_code=person.tax_code,
                role="citizen",
                password_hash="x",
            )
        )
    outbox_before = await _outbox_rows(identity)

    response = await identity.complete(registration_id, person.complete_body(otp))

    assert (response.status_code, response.json()["code"]) == (409, "tax_code_in_use")
    # The account insert and the session delete were flushed, then rolled back together.
    assert await _account(identity, person.email) is None
    assert await _registration(identity, registration_id) == before
    assert await _outbox_rows(identity) == outbox_before


async def test_a_registration_refused_after_its_first_write_rolls_that_write_back(
    identity,  # noqa: ANN001
    make_identity,  # noqa: ANN001
    people,  # noqa: ANN001
) -> None:
    holder = people()
    await identity.register(holder)
    short = await make_identity(registration_ttl_s=1)
    first = people()
    expired_id = (await short.start(first)).json()["registration_id"]
    await asyncio.sleep(1.1)
    # Its first write deletes the expired session holding this e-mail; then the codice
    # fiscale turns out to be taken and the request is refused.
    response = await short.start(people(email=first.email, tax_code=holder.tax_code))
    assert (response.status_code, response.json()["code"]) == (409, "tax_code_in_use")
    assert await _registration(short, expired_id) is not None


async def test_a_wrong_otp_keeps_its_attempt_and_nothing_else(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    before = await _registration(identity, registration_id)
    outbox_before = await _outbox_rows(identity)

    response = await identity.complete(registration_id, person.complete_body(_wrong(otp)))

    assert (response.status_code, response.json()["code"]) == (422, "otp_invalid")
    assert await _registration(identity, registration_id) == {**before, "otp_wrong_attempts": 1}
    assert await _account(identity, person.email) is None
    assert await _outbox_rows(identity) == outbox_before


async def test_wrong_otps_on_an_email_change_are_counted_then_end_the_request(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    headers = identity.bearer(tokens["access_token"])
    new_email = f"nuovo.{uuid.uuid4().hex[:8]}@example.it"
    requested = await identity.client.post(
        identity.url("/me/email"), json={"new_email": new_email, "password": person.password}, headers=headers
    )
    assert requested.status_code == 202
    [event] = await identity.payloads("identity.email_change.requested", new_email=new_email)
    confirm = identity.url("/me/email/confirm")
    for left in (4, 3, 2, 1):
        wrong = await identity.client.post(confirm, json={"otp": _wrong(event["otp"])}, headers=headers)
        assert (wrong.status_code, wrong.json()["code"]) == (422, "otp_invalid")
        assert wrong.json()["detail"] == f"Codice OTP non valido. Tentativi rimasti: {left}."
    locked = await identity.client.post(confirm, json={"otp": _wrong(event["otp"])}, headers=headers)
    assert (locked.status_code, locked.json()["code"]) == (423, "otp_locked")
    # The request is gone: even the right OTP finds nothing to confirm.
    right = await identity.client.post(confirm, json={"otp": event["otp"]}, headers=headers)
    assert (right.status_code, right.json()["code"]) == (404, "email_change_not_found")
    me = await identity.client.get(identity.url("/me"), headers=headers)
    assert me.json()["email"] == person.email


async def test_a_wrong_password_on_an_email_change_counts_as_a_failed_login(make_identity) -> None:  # noqa: ANN001
    identity = await make_identity(login_max_failures_per_pair=2)
    person, tokens = await identity.citizen()
    headers = identity.bearer(tokens["access_token"])
    body = {"new_email": f"nuovo.{uuid.uuid4().hex[:8]}@example.it", "password": "Sbagliata-2026"}
    for _ in range(2):
        response = await identity.client.post(identity.url("/me/email"), json=body, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, "password_incorrect")
    blocked = await identity.client.post(
        identity.url("/me/email"), json={**body, "password": person.password}, headers=headers
    )
    assert (blocked.status_code, blocked.json()["code"]) == (429, "too_many_attempts")
    assert int(blocked.headers["Retry-After"]) > 0
    assert (await identity.login(person.email)).status_code == 429
