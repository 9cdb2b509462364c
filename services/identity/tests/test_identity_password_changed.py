"""`identity.password.changed`: every change of a password (from the profile or through a
recovery link) is told to the account's address, in the transaction of the change, and a
refused one tells nothing."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from identity import schemas
from identity.models import Account
from identity.service import profile
from kit.uow import unit_of_work

EVENT = "identity.password.changed"
NEW_PASSWORD = "Vanvitelli-2027"


async def _user_id(identity, tokens) -> str:  # noqa: ANN001
    me = await identity.client.get(identity.url("/me"), headers=identity.bearer(tokens["access_token"]))
    return me.json()["user_id"]


async def _password_changed_at(identity, user_id: str) -> datetime | None:  # noqa: ANN001
    async with identity.db.session() as session:
        account = await session.get(Account, uuid.UUID(user_id))
        assert account is not None
        return account.password_changed_at


async def _change(identity, tokens, current: str, new: str = NEW_PASSWORD):  # noqa: ANN001, ANN202
    return await identity.client.post(
        identity.url("/me/password"),
        json={"current_password": current, "password": new, "password_confirmation": new},
        headers=identity.bearer(tokens["access_token"]),
    )


async def _reset_link(identity, email: str) -> str:  # noqa: ANN001
    await identity.client.post(identity.url("/password/forgot"), json={"email": email})
    [requested] = await identity.payloads("identity.password_reset.requested", email=email)
    return identity.query_token(requested["reset_url"])


async def _reset(identity, token: str, password: str = NEW_PASSWORD):  # noqa: ANN001, ANN202
    return await identity.client.post(
        identity.url("/password/reset"),
        json={"token": token, "password": password, "password_confirmation": password},
    )


async def test_a_change_from_the_profile_tells_the_accounts_address_once(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    user_id = await _user_id(identity, tokens)

    assert (await _change(identity, tokens, person.password)).status_code == 204

    [event] = await identity.payloads(EVENT, user_id=user_id)
    assert event["email"] == person.email
    # The very instant written on the account: emitted by the change itself.
    assert datetime.fromisoformat(event["changed_at"]) == await _password_changed_at(identity, user_id)


async def test_a_reset_through_the_recovery_link_tells_the_accounts_address_once(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    user_id = await _user_id(identity, tokens)
    token = await _reset_link(identity, person.email)

    assert (await _reset(identity, token)).status_code == 204
    assert (await _reset(identity, token, "Altra-Password-9")).status_code == 400  # used: nothing more

    [event] = await identity.payloads(EVENT, user_id=user_id)
    assert event["email"] == person.email
    assert datetime.fromisoformat(event["changed_at"]) == await _password_changed_at(identity, user_id)


async def test_the_notice_goes_to_the_address_the_account_has_now(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    headers = identity.bearer(tokens["access_token"])
    new_email = f"nuovo.{uuid.uuid4().hex[:8]}@example.it"
    await identity.client.post(
        identity.url("/me/email"), json={"new_email": new_email, "password": person.password}, headers=headers
    )
    [requested] = await identity.payloads("identity.email_change.requested", new_email=new_email)
    confirmed = await identity.client.post(
        identity.url("/me/email/confirm"), json={"otp": requested["otp"]}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text

    assert (await _change(identity, tokens, person.password)).status_code == 204

    [event] = await identity.payloads(EVENT, user_id=confirmed.json()["user_id"])
    assert event["email"] == new_email


async def test_a_staff_account_is_told_too(identity) -> None:  # noqa: ANN001
    email, tokens = await identity.staff("operator")

    assert (await _change(identity, tokens, identity.password)).status_code == 204

    [event] = await identity.payloads(EVENT, user_id=await _user_id(identity, tokens))
    assert event["email"] == email


async def test_refused_changes_and_resets_tell_nothing(identity) -> None:  # noqa: ANN001
    person, tokens = await identity.citizen()
    user_id = await _user_id(identity, tokens)
    set_at = await _password_changed_at(identity, user_id)
    # A wrong current password is counted (its transaction commits), a weak new one is not.
    assert (await _change(identity, tokens, "Sbagliata-1")).status_code == 422
    assert (await _change(identity, tokens, person.password, "senzanumeri")).status_code == 422
    token = await _reset_link(identity, person.email)
    assert (await _reset(identity, token, "corta1")).status_code == 422
    assert (await _reset(identity, "inventato")).status_code == 400

    assert await identity.payloads(EVENT, user_id=user_id) == []
    assert await _password_changed_at(identity, user_id) == set_at


async def test_the_event_is_rolled_back_with_the_change(identity) -> None:  # noqa: ANN001
    """A failure after the use case, before the commit: neither the new password nor its notice
    stays (an e-mail about a change that did not happen would alarm the citizen for nothing)."""
    person, tokens = await identity.citizen()
    user_id = await _user_id(identity, tokens)
    command = schemas.PasswordChange(
        current_password=person.password, password=NEW_PASSWORD, password_confirmation=NEW_PASSWORD
    )

    with pytest.raises(RuntimeError, match="after the change"):
        async with unit_of_work(identity.db) as session:
            await profile.change_password(
                session, identity.runtime, uuid.UUID(user_id), command, client_address="127.0.0.1"
            )
            assert len(await identity.payloads(EVENT, user_id=user_id)) == 0  # not committed yet
            raise RuntimeError("after the change")

    assert await identity.payloads(EVENT, user_id=user_id) == []
    assert (await identity.login(person.email)).status_code == 200
