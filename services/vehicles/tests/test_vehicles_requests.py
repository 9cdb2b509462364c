"""The citizen's side (Fasi 7-8): "Nuova Targa", the requests' outcomes, "Targhe Associate"."""

from __future__ import annotations

import asyncio
import uuid


async def test_citizen_flow_from_request_to_associated_plate_and_back(vehicles) -> None:  # noqa: ANN001
    user_id = uuid.uuid4()
    citizen = vehicles.citizen(user_id)
    plate = vehicles.new_plate()
    typed = f"{plate[:2].lower()} {plate[2:5]}-{plate[5:]}"

    submitted = await vehicles.submit(
        citizen,
        typed,
        plate_confirmation=plate,
        make=" Tesla ",
        model="Model  3",
        fuel="elettrica",
        owned="false",
        files=vehicles.files(attestation=True),
    )
    assert submitted.status_code == 201, submitted.text
    request = submitted.json()
    assert request["plate"] == plate
    assert (request["make"], request["model"], request["fuel"], request["fuel_label"]) == (
        "Tesla",
        "Model 3",
        "elettrica",
        "Elettrica",
    )
    assert (request["status"], request["status_label"]) == ("pending", "In attesa di esito")
    assert request["decided_at"] is None and request["outcome_reason"] is None
    assert (request["owned"], request["foreign"], request["electric"]) == (False, False, None)
    assert [(d["field"], d["label"], d["content_type"]) for d in request["documents"]] == [
        ("registration_document", "Libretto di circolazione", "application/pdf"),
        ("availability_attestation", "Attestazione di disponibilità", "image/png"),
    ]
    [event] = await vehicles.payloads("vehicles.request.submitted", request_id=request["id"])
    assert (event["user_id"], event["plate"], event["make"]) == (str(user_id), plate, "Tesla")

    listed = await vehicles.client.get(vehicles.url("/requests"), headers=citizen)
    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    [item] = listed.json()["items"]
    assert set(item) == {
        "id",
        "plate",
        "make",
        "model",
        "fuel",
        "fuel_label",
        "status",
        "status_label",
        "submitted_at",
        "decided_at",
        "outcome_reason",
    }
    registration = request["documents"][0]
    downloaded = await vehicles.client.get(
        vehicles.url(f"/requests/{request['id']}/documents/{registration['id']}"), headers=citizen
    )
    assert downloaded.status_code == 200
    assert downloaded.content == vehicles.pdf()
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.headers["content-disposition"].startswith("attachment;")

    approved = await vehicles.approve(request["id"], {"electric": True})
    assert approved.status_code == 200, approved.text
    plate_id = approved.json()["plate_id"]
    [approval] = await vehicles.payloads("vehicles.request.approved", request_id=request["id"])
    assert (approval["plate_id"], approval["electric"], approval["user_id"]) == (plate_id, True, str(user_id))

    outcome = (await vehicles.client.get(vehicles.url(f"/requests/{request['id']}"), headers=citizen)).json()
    assert (outcome["status"], outcome["status_label"], outcome["electric"]) == (
        "approved",
        "Approvata",
        True,
    )
    assert outcome["decided_at"] is not None

    plates = await vehicles.client.get(vehicles.url("/plates"), headers=citizen)
    assert plates.status_code == 200
    [associated] = plates.json()["items"]
    assert associated == {
        "id": plate_id,
        "plate": plate,
        "make": "Tesla",
        "model": "Model 3",
        "electric": True,
        "associated_at": associated["associated_at"],
    }

    removed = await vehicles.client.delete(vehicles.url(f"/plates/{plate_id}"), headers=citizen)
    assert removed.status_code == 204
    [dissociated] = await vehicles.payloads("vehicles.plate.dissociated", plate_id=plate_id)
    assert (dissociated["plate"], dissociated["user_id"]) == (plate, str(user_id))
    assert (await vehicles.client.get(vehicles.url("/plates"), headers=citizen)).json()["items"] == []
    again = await vehicles.client.delete(vehicles.url(f"/plates/{plate_id}"), headers=citizen)
    assert (again.status_code, again.json()["code"]) == (404, "plate_not_found")


async def test_a_dissociated_plate_can_be_requested_again_by_anyone(vehicles) -> None:  # noqa: ANN001
    first, second = vehicles.citizen(), vehicles.citizen()
    plate = vehicles.new_plate()
    approved = await vehicles.associated(first, plate)
    await vehicles.client.delete(vehicles.url(f"/plates/{approved['plate_id']}"), headers=first)
    again = await vehicles.associated(second, plate)
    assert again["plate_id"] != approved["plate_id"]
    [listed] = (await vehicles.client.get(vehicles.url("/plates"), headers=second)).json()["items"]
    assert listed["plate"] == plate


async def test_requests_are_listed_newest_first_in_pages(vehicles) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    ids = [(await vehicles.submitted(citizen))["id"] for _ in range(3)]
    page = await vehicles.client.get(vehicles.url("/requests?limit=2"), headers=citizen)
    assert page.json()["total"] == 3
    assert [r["id"] for r in page.json()["items"]] == ids[::-1][:2]
    rest = await vehicles.client.get(vehicles.url("/requests?limit=2&offset=2"), headers=citizen)
    assert [r["id"] for r in rest.json()["items"]] == ids[:1]


async def test_every_error_of_the_form_comes_at_once_next_to_its_field(vehicles) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    response = await vehicles.submit(
        citizen,
        "AB12",
        plate_confirmation="CD34",
        make="",
        model="x" * 61,
        fuel="carbone",
        owned="forse",
        # What a browser sends for a file input left empty.
        files={"registration_document": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert {field: e["code"] for field, e in errors.items()} == {
        "plate": "plate_invalid",
        "plate_confirmation": "plate_mismatch",
        "make": "required",
        "model": "too_long",
        "fuel": "invalid_choice",
        "owned": "invalid_choice",
        "registration_document": "file_required",
    }
    assert errors["plate_confirmation"]["message"] == "Le due targhe non coincidono."
    assert "formato" in errors["plate"]["message"]


async def test_mismatched_plates_are_refused(vehicles) -> None:  # noqa: ANN001
    response = await vehicles.submit(vehicles.citizen(), "AB123CD", plate_confirmation="AB123CE")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "plate_confirmation", "code": "plate_mismatch", "message": "Le due targhe non coincidono."}
    ]


async def test_italian_plates_of_older_kinds_are_accepted(vehicles) -> None:  # noqa: ANN001
    suffix = f"{uuid.uuid4().int % 100000:05d}"
    for typed, stored in [(f"CE A{suffix}", f"CEA{suffix}"), (f"Roma {suffix}A", f"ROMA{suffix}A")]:
        response = await vehicles.submit(vehicles.citizen(), typed)
        assert response.status_code == 201, response.text
        assert response.json()["plate"] == stored


async def test_a_foreign_plate_needs_the_explicit_choice(vehicles) -> None:  # noqa: ANN001
    plate = f"W-{uuid.uuid4().int % 10_000_000:07d}"  # no Italian format has a letter and seven digits
    refused = await vehicles.submit(vehicles.citizen(), plate, plate_confirmation=plate, foreign="false")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["plate"]
    accepted = await vehicles.submit(vehicles.citizen(), plate, plate_confirmation=plate, foreign="true")
    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["plate"], accepted.json()["foreign"]) == (plate.replace("-", ""), True)


async def test_the_attestation_is_required_when_the_vehicle_is_not_the_citizens(vehicles) -> None:  # noqa: ANN001
    user_id = uuid.uuid4()
    refused = await vehicles.submit(vehicles.citizen(user_id), owned="false")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "availability_attestation",
            "code": "file_required",
            "message": "Il veicolo non è intestato a te: allega l'attestazione di disponibilità.",
        }
    ]
    owned = await vehicles.submit(vehicles.citizen(user_id), owned="true")
    assert owned.status_code == 201
    assert [d["field"] for d in owned.json()["documents"]] == ["registration_document"]


async def test_a_refused_upload_leaves_no_request_and_no_document(vehicles) -> None:  # noqa: ANN001
    user_id = uuid.uuid4()
    citizen = vehicles.citizen(user_id)
    # Valid files, a refused form: nothing is kept of the files either.
    refused = await vehicles.submit(citizen, "AB1", files=vehicles.files(attestation=True))
    assert refused.status_code == 422
    # A file that is not a document.
    not_a_document = await vehicles.submit(
        citizen, files={"registration_document": ("libretto.pdf", b"<html>ciao</html>", "application/pdf")}
    )
    assert not_a_document.status_code == 422
    [error] = not_a_document.json()["errors"]
    assert (error["field"], error["code"]) == ("registration_document", "file_type_not_allowed")
    # Refused by a rule of the plate after the documents were read.
    plate = vehicles.new_plate()
    await vehicles.submitted(vehicles.citizen(), plate)
    conflict = await vehicles.submit(citizen, plate, files=vehicles.files(attestation=True))
    assert conflict.status_code == 409
    assert (await vehicles.client.get(vehicles.url("/requests"), headers=citizen)).json()["total"] == 0
    assert await vehicles.documents_of(user_id) == 0


async def test_a_plate_cannot_have_two_open_requests(vehicles) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    plate = vehicles.new_plate()
    await vehicles.submitted(citizen, plate)
    mine = await vehicles.submit(citizen, plate)
    assert (mine.status_code, mine.json()["code"]) == (409, "request_already_pending")
    theirs = await vehicles.submit(vehicles.citizen(), plate)
    assert (theirs.status_code, theirs.json()["code"]) == (409, "plate_request_pending")


async def test_two_requests_for_one_plate_at_the_same_time_give_one_request(vehicles) -> None:  # noqa: ANN001
    plate = vehicles.new_plate()
    responses = await asyncio.gather(*(vehicles.submit(vehicles.citizen(), plate) for _ in range(2)))
    assert sorted(r.status_code for r in responses) == [201, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["code"] in ("plate_request_pending", "request_already_pending")
    assert len(await vehicles.payloads("vehicles.request.submitted", plate=plate)) == 1


async def test_a_rejected_request_lets_the_plate_be_requested_again(vehicles) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    plate = vehicles.new_plate()
    request = await vehicles.submitted(citizen, plate)
    assert (await vehicles.reject(request["id"], "  Il libretto non è leggibile.  ")).status_code == 200
    outcome = (await vehicles.client.get(vehicles.url(f"/requests/{request['id']}"), headers=citizen)).json()
    assert (outcome["status"], outcome["status_label"]) == ("rejected", "Rifiutata")
    assert outcome["outcome_reason"] == "Il libretto non è leggibile."
    assert (await vehicles.submit(citizen, plate)).status_code == 201


async def test_a_plate_is_not_associated_twice_to_the_same_citizen(vehicles) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    plate = vehicles.new_plate()
    await vehicles.associated(citizen, plate)
    again = await vehicles.submit(citizen, plate)
    assert (again.status_code, again.json()["code"]) == (409, "plate_already_associated")


async def test_a_plate_associated_to_one_citizen_is_refused_to_another(vehicles) -> None:  # noqa: ANN001
    plate = vehicles.new_plate()
    await vehicles.associated(vehicles.citizen(), plate)
    refused = await vehicles.submit(vehicles.citizen(), plate)
    assert refused.status_code == 409
    assert refused.json()["code"] == "plate_associated_elsewhere"
    assert refused.json()["detail"].startswith("La targa è già associata a un altro cittadino.")


async def test_electric_defaults_to_the_declared_fuel(vehicles) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    electric = await vehicles.associated(citizen, fuel="elettrica")
    hybrid = await vehicles.associated(citizen, fuel="ibrida")
    assert (electric["electric"], hybrid["electric"]) == (True, False)
    by_id = {
        p["id"]: p
        for p in (await vehicles.client.get(vehicles.url("/plates"), headers=citizen)).json()["items"]
    }
    assert by_id[electric["plate_id"]]["electric"] is True
    assert by_id[hybrid["plate_id"]]["electric"] is False
