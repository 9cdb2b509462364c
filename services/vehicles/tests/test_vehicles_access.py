"""A citizen sees and changes only their own requests, documents and plates: anyone else's id
answers as an unknown one (404), so nothing discloses that it exists."""

from __future__ import annotations

import uuid


async def test_a_citizen_cannot_reach_another_citizens_requests_documents_or_plates(vehicles) -> None:  # noqa: ANN001
    owner_id = uuid.uuid4()
    owner = vehicles.citizen(owner_id)
    approved = await vehicles.associated(owner, owned="false", files=vehicles.files(attestation=True))
    pending = await vehicles.submitted(owner)
    intruder = vehicles.citizen()

    paths = [f"/requests/{approved['id']}", f"/requests/{pending['id']}"]
    paths += [f"/requests/{approved['id']}/documents/{d['id']}" for d in approved["documents"]]
    for path in paths:
        response = await vehicles.client.get(vehicles.url(path), headers=intruder)
        assert response.status_code == 404, path
        assert response.json()["code"] == "request_not_found"
        assert (await vehicles.client.get(vehicles.url(path), headers=owner)).status_code == 200, path

    removal = await vehicles.client.delete(vehicles.url(f"/plates/{approved['plate_id']}"), headers=intruder)
    assert (removal.status_code, removal.json()["code"]) == (404, "plate_not_found")
    assert await vehicles.payloads("vehicles.plate.dissociated", plate_id=approved["plate_id"]) == []

    for listing in ("/requests", "/plates"):
        theirs = await vehicles.client.get(vehicles.url(listing), headers=intruder)
        assert (theirs.status_code, theirs.json()["total"]) == (200, 0)
    [still] = (await vehicles.client.get(vehicles.url("/plates"), headers=owner)).json()["items"]
    assert still["id"] == approved["plate_id"]


async def test_unknown_ids_are_not_found_for_citizens(vehicles) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    request = await vehicles.submitted(citizen)
    for path, code in (
        (f"/requests/{uuid.uuid4()}", "request_not_found"),
        (f"/requests/{uuid.uuid4()}/documents/{uuid.uuid4()}", "request_not_found"),
        (f"/requests/{request['id']}/documents/{uuid.uuid4()}", "document_not_found"),
    ):
        response = await vehicles.client.get(vehicles.url(path), headers=citizen)
        assert (response.status_code, response.json()["code"]) == (404, code), path
    removal = await vehicles.client.delete(vehicles.url(f"/plates/{uuid.uuid4()}"), headers=citizen)
    assert removal.status_code == 404
    malformed = await vehicles.client.get(vehicles.url("/requests/not-an-id"), headers=citizen)
    assert malformed.status_code == 422


async def test_a_request_that_is_not_the_citizens_plate_cannot_be_dissociated_by_request_id(vehicles) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    approved = await vehicles.associated(citizen)
    # The request's id is not the plate's: only the association's id removes it.
    response = await vehicles.client.delete(vehicles.url(f"/plates/{approved['id']}"), headers=citizen)
    assert response.status_code == 404
