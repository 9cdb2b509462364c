"""When two transactions race, the unique indexes decide, not the reads before them: each test
makes the read miss what the other transaction wrote (as it does when both read before either
commits) and checks that the index refuses the second write with the same answer."""

from __future__ import annotations

import uuid

from vehicles import repository


async def _nothing(*args: object, **kwargs: object) -> None:
    return None


async def test_a_second_open_request_is_refused_by_the_index(vehicles, monkeypatch) -> None:  # noqa: ANN001
    plate = vehicles.new_plate()
    await vehicles.submitted(vehicles.citizen(), plate)
    monkeypatch.setattr(repository, "pending_request_for", _nothing)
    user_id = uuid.uuid4()
    refused = await vehicles.submit(vehicles.citizen(user_id), plate)
    assert (refused.status_code, refused.json()["code"]) == (409, "plate_request_pending")
    assert await vehicles.documents_of(user_id) == 0
    assert len(await vehicles.payloads("vehicles.request.submitted", plate=plate)) == 1


async def test_a_second_association_of_a_plate_is_refused_by_the_index(vehicles, monkeypatch) -> None:  # noqa: ANN001
    plate = vehicles.new_plate()
    request = await vehicles.submitted(vehicles.citizen(), plate)
    assert (await vehicles.approve(request["id"])).status_code == 200
    racing_id = await vehicles.racing_request(request["id"])
    monkeypatch.setattr(repository, "active_plate", _nothing)
    refused = await vehicles.approve(racing_id)
    assert (refused.status_code, refused.json()["code"]) == (409, "plate_associated_elsewhere")
    assert await vehicles.payloads("vehicles.request.approved", request_id=racing_id) == []
    assert await vehicles.audit_entries(racing_id) == 0
