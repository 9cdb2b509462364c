"""Requests racing on one row, against the real database: the row lock (``FOR UPDATE``) is what
makes them take turns. Each test fails when that lock is removed."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from identity.models import RegistrationSession


async def test_concurrent_refreshes_of_one_token_let_exactly_one_win(identity) -> None:  # noqa: ANN001
    _, tokens = await identity.citizen()
    body = {"refresh_token": tokens["refresh_token"]}
    responses = await asyncio.gather(
        *(identity.client.post(identity.url("/auth/refresh"), json=body) for _ in range(4))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 401, 401, 401], [r.text for r in responses]
    # The first loser presented a token already exchanged and ended the whole login; the others
    # found it ended.
    codes = [r.json()["code"] for r in responses if r.status_code == 401]
    assert "refresh_token_reused" in codes
    assert set(codes) <= {"refresh_token_reused", "refresh_token_invalid"}
    [winner] = [r.json() for r in responses if r.status_code == 200]
    latest = await identity.client.post(
        identity.url("/auth/refresh"), json={"refresh_token": winner["refresh_token"]}
    )
    assert (latest.status_code, latest.json()["code"]) == (401, "refresh_token_invalid")


async def test_concurrent_wrong_otps_are_counted_exactly_and_lock_the_session(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    wrong = f"{(int(otp) + 1) % 1_000_000:06d}"
    responses = await asyncio.gather(
        *(identity.complete(registration_id, person.complete_body(wrong)) for _ in range(20))
    )
    outcomes = Counter((r.status_code, r.json()["code"]) for r in responses)
    max_attempts = identity.settings.otp_max_attempts  # 5: four refusals, then the lock
    assert outcomes == {(422, "otp_invalid"): max_attempts - 1, (423, "otp_locked"): 21 - max_attempts}
    async with identity.db.session() as session:
        row = await session.get(RegistrationSession, uuid.UUID(registration_id))
        assert row is not None
        assert row.otp_wrong_attempts == max_attempts
        assert row.locked_at is not None
    right = await identity.complete(registration_id, person.complete_body(otp))
    assert (right.status_code, right.json()["code"]) == (423, "otp_locked")
