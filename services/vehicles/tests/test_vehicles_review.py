"""The operators' side: the list to work through, a request's page, documents and previews,
decisions taken once and recorded."""

from __future__ import annotations

import asyncio
import io
import uuid

from PIL import Image


async def test_operators_list_pending_requests_oldest_first_with_the_citizen(vehicles) -> None:  # noqa: ANN001
    user_id = uuid.uuid4()
    await vehicles.add_citizen(user_id, first_name="Anna", last_name="Esposito", tax_code="SPSNNA80A41B963X")
    citizen = vehicles.citizen(user_id)
    stem = vehicles.new_plate()[:5]  # two letters and three digits, shared by three plates
    plates = [f"{stem}{suffix}" for suffix in ("AA", "BB", "CC")]
    ids = [(await vehicles.submitted(citizen, plate))["id"] for plate in plates]
    assert (await vehicles.reject(ids[1])).status_code == 200

    pending = await vehicles.client.get(
        vehicles.url("/admin/requests"),
        params={"status": "pending", "plate": f"{stem[:2].lower()} {stem[2:]}"},
        headers=vehicles.operator(),
    )
    assert pending.status_code == 200
    assert pending.json()["total"] == 2
    assert [r["id"] for r in pending.json()["items"]] == [ids[0], ids[2]]
    first = pending.json()["items"][0]
    assert first["user_id"] == str(user_id)
    assert first["citizen"] == {
        "first_name": "Anna",
        "last_name": "Esposito",
        "tax_code": "SPSNNA80A41B963X",
        "email": f"cittadino.{user_id.hex[:8]}@example.it",
    }

    everything = await vehicles.client.get(
        vehicles.url("/admin/requests"), params={"plate": stem}, headers=vehicles.operator()
    )
    assert [r["status"] for r in everything.json()["items"]] == ["pending", "rejected", "pending"]
    one = await vehicles.client.get(
        vehicles.url("/admin/requests"), params={"plate": plates[2]}, headers=vehicles.operator()
    )
    assert [r["id"] for r in one.json()["items"]] == [ids[2]]


async def test_a_request_without_the_citizen_in_the_read_model_still_lists(vehicles) -> None:  # noqa: ANN001
    request = await vehicles.submitted(vehicles.citizen())
    listed = await vehicles.client.get(
        vehicles.url("/admin/requests"), params={"plate": request["plate"]}, headers=vehicles.operator()
    )
    [item] = listed.json()["items"]
    assert item["citizen"] is None


async def test_bad_filters_are_refused_not_failed(vehicles) -> None:  # noqa: ANN001
    operator = vehicles.operator()
    bad_status = await vehicles.client.get(vehicles.url("/admin/requests?status=forse"), headers=operator)
    assert bad_status.status_code == 422
    assert bad_status.json()["errors"][0]["field"] == "status"
    wildcards = await vehicles.client.get(
        vehicles.url("/admin/requests"), params={"plate": "%_\\"}, headers=operator
    )
    assert wildcards.status_code == 200
    # Refused before the route by kit.input_guard; were it not, the search would drop it.
    control = await vehicles.client.get(
        vehicles.url("/admin/requests"), params={"plate": "AB\x00"}, headers=operator
    )
    assert control.status_code in (200, 422)
    assert control.headers["content-type"].startswith("application/")


async def test_the_operators_page_shows_citizen_documents_and_decisions(vehicles) -> None:  # noqa: ANN001
    user_id = uuid.uuid4()
    await vehicles.add_citizen(user_id, phone="3331234567")
    request = await vehicles.submitted(
        vehicles.citizen(user_id), owned="false", files=vehicles.files(attestation=True)
    )
    operator = vehicles.operator()
    page = await vehicles.client.get(vehicles.url(f"/admin/requests/{request['id']}"), headers=operator)
    assert page.status_code == 200
    detail = page.json()
    assert detail["citizen"]["first_name"] == "Mario"
    assert detail["citizen"]["phone"] == "3331234567"
    assert detail["user_id"] == str(user_id)
    assert [d["field"] for d in detail["documents"]] == ["registration_document", "availability_attestation"]
    assert detail["audit"] == []

    rejected = await vehicles.reject(request["id"], "  Attestazione non firmata.  ")
    assert rejected.status_code == 200
    [entry] = rejected.json()["audit"]
    assert (entry["action"], entry["reason"], entry["actor_role"]) == (
        "rejected",
        "Attestazione non firmata.",
        "operator",
    )
    [event] = await vehicles.payloads("vehicles.request.rejected", request_id=request["id"])
    assert event["reason"] == "Attestazione non firmata."


async def test_operators_download_and_preview_documents(vehicles) -> None:  # noqa: ANN001
    request = await vehicles.submitted(
        vehicles.citizen(), owned="false", files=vehicles.files(attestation=True)
    )
    operator = vehicles.operator()
    registration, attestation = request["documents"]
    base = f"/admin/requests/{request['id']}/documents"

    download = await vehicles.client.get(vehicles.url(f"{base}/{attestation['id']}"), headers=operator)
    assert download.status_code == 200
    assert download.content == vehicles.png()
    # The citizens' route serves operators too.
    shared = await vehicles.client.get(
        vehicles.url(f"/requests/{request['id']}/documents/{registration['id']}"), headers=operator
    )
    assert (shared.status_code, shared.content) == (200, vehicles.pdf())

    preview = await vehicles.client.get(vehicles.url(f"{base}/{attestation['id']}/preview"), headers=operator)
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(preview.content)).size == (40, 30)
    no_page = await vehicles.client.get(
        vehicles.url(f"{base}/{attestation['id']}/preview?page=2"), headers=operator
    )
    assert (no_page.status_code, no_page.json()["code"]) == (404, "page_not_found")
    bad_page = await vehicles.client.get(
        vehicles.url(f"{base}/{attestation['id']}/preview?page=zero"), headers=operator
    )
    assert bad_page.status_code == 422


async def test_documents_say_how_many_pages_their_preview_has(vehicles) -> None:  # noqa: ANN001
    request = await vehicles.submitted(
        vehicles.citizen(),
        owned="false",
        files={
            "registration_document": ("libretto.pdf", vehicles.pdf(pages=3), "application/pdf"),
            "availability_attestation": ("attestazione.png", vehicles.png(), "image/png"),
        },
    )
    assert [d["pages"] for d in request["documents"]] == [3, 1]
    page = await vehicles.client.get(
        vehicles.url(f"/admin/requests/{request['id']}"), headers=vehicles.operator()
    )
    assert [d["pages"] for d in page.json()["documents"]] == [3, 1]


async def test_operators_preview_a_page_of_a_pdf(vehicles) -> None:  # noqa: ANN001
    request = await vehicles.submitted(
        vehicles.citizen(),
        files={"registration_document": ("libretto.pdf", vehicles.pdf(pages=2), "application/pdf")},
    )
    [registration] = request["documents"]
    base = f"/admin/requests/{request['id']}/documents/{registration['id']}/preview"
    second = await vehicles.client.get(vehicles.url(f"{base}?page=2"), headers=vehicles.operator())
    assert (second.status_code, second.headers["content-type"]) == (200, "image/png")
    third = await vehicles.client.get(vehicles.url(f"{base}?page=3"), headers=vehicles.operator())
    assert third.status_code == 404


async def test_a_document_of_another_request_is_not_found_through_this_one(vehicles) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    one, other = await vehicles.submitted(citizen), await vehicles.submitted(citizen)
    foreign_document = other["documents"][0]["id"]
    for path in (
        f"/admin/requests/{one['id']}/documents/{foreign_document}",
        f"/admin/requests/{one['id']}/documents/{foreign_document}/preview",
    ):
        response = await vehicles.client.get(vehicles.url(path), headers=vehicles.operator())
        assert (response.status_code, response.json()["code"]) == (404, "document_not_found")
    mine = await vehicles.client.get(
        vehicles.url(f"/requests/{one['id']}/documents/{foreign_document}"), headers=citizen
    )
    assert mine.status_code == 404


async def test_two_operators_deciding_at_once_make_one_decision(vehicles) -> None:  # noqa: ANN001
    for decisions in (
        lambda rid: [vehicles.approve(rid), vehicles.approve(rid)],
        lambda rid: [vehicles.approve(rid), vehicles.reject(rid)],
        lambda rid: [vehicles.reject(rid), vehicles.reject(rid, "Un altro motivo")],
    ):
        request = await vehicles.submitted(vehicles.citizen())
        responses = await asyncio.gather(*decisions(request["id"]))
        assert sorted(r.status_code for r in responses) == [200, 409]
        refused = next(r for r in responses if r.status_code == 409)
        assert refused.json()["code"] == "request_already_decided"
        assert (
            refused.json()["detail"]
            == "La richiesta è già stata decisa da un altro operatore: ricarica la pagina."
        )
        approvals = await vehicles.payloads("vehicles.request.approved", request_id=request["id"])
        rejections = await vehicles.payloads("vehicles.request.rejected", request_id=request["id"])
        assert len(approvals) + len(rejections) == 1
        assert await vehicles.audit_entries(request["id"]) == 1


async def test_a_decided_request_cannot_be_decided_again(vehicles) -> None:  # noqa: ANN001
    request = await vehicles.submitted(vehicles.citizen())
    assert (await vehicles.approve(request["id"])).status_code == 200
    for second in (await vehicles.approve(request["id"]), await vehicles.reject(request["id"])):
        assert (second.status_code, second.json()["code"]) == (409, "request_already_decided")


async def test_approving_a_plate_associated_meanwhile_is_refused(vehicles) -> None:  # noqa: ANN001
    plate = vehicles.new_plate()
    request = await vehicles.submitted(vehicles.citizen(), plate)
    approved = await vehicles.approve(request["id"])
    assert approved.status_code == 200
    racing_id = await vehicles.racing_request(request["id"])
    refused = await vehicles.approve(racing_id)
    assert (refused.status_code, refused.json()["code"]) == (409, "plate_associated_elsewhere")
    assert (await vehicles.reject(racing_id, "Targa già associata")).status_code == 200


async def test_rejection_needs_a_reason(vehicles) -> None:  # noqa: ANN001
    request = await vehicles.submitted(vehicles.citizen())
    url = vehicles.url(f"/admin/requests/{request['id']}/reject")
    operator = vehicles.operator()
    missing = await vehicles.client.post(url, json={}, headers=operator)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"
    for reason, code in (("   ", "required"), (" abc ", "too_short"), ("x" * 501, "too_long")):
        response = await vehicles.client.post(url, json={"reason": reason}, headers=operator)
        assert response.status_code == 422, reason
        assert response.json()["errors"] == [
            {"field": "reason", "code": code, "message": response.json()["errors"][0]["message"]}
        ]
    wrong_type = await vehicles.client.post(url, json={"reason": 12}, headers=operator)
    assert wrong_type.status_code == 422
    # Characters PostgreSQL cannot store (kit.input_guard refuses them first; the domain would).
    for content in (b'{"reason": "Motivo \\u0000 non valido"}', b'{"reason": "Motivo \\ud800 non valido"}'):
        refused = await vehicles.client.post(
            url, content=content, headers={**operator, "content-type": "application/json"}
        )
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
        assert refused.json()["errors"][0]["code"] in ("control_characters", "invalid_characters")
    still = await vehicles.client.get(vehicles.url(f"/admin/requests/{request['id']}"), headers=operator)
    assert still.json()["status"] == "pending"
    assert await vehicles.payloads("vehicles.request.rejected", request_id=request["id"]) == []


async def test_approval_body_is_checked(vehicles) -> None:  # noqa: ANN001
    request = await vehicles.submitted(vehicles.citizen())
    url = vehicles.url(f"/admin/requests/{request['id']}/approve")
    for body in ({"electric": "forse"}, {"electrico": True}, []):
        response = await vehicles.client.post(url, json=body, headers=vehicles.operator())
        assert response.status_code == 422, body
    no_body = await vehicles.client.post(url, headers=vehicles.operator())
    assert no_body.status_code == 200
    assert no_body.json()["electric"] is False


async def test_unknown_requests_are_not_found_for_operators(vehicles) -> None:  # noqa: ANN001
    unknown = uuid.uuid4()
    operator = vehicles.operator()
    for method, path, body in (
        ("GET", f"/admin/requests/{unknown}", None),
        ("POST", f"/admin/requests/{unknown}/approve", {}),
        ("POST", f"/admin/requests/{unknown}/reject", {"reason": "Motivo valido"}),
        ("GET", f"/admin/requests/{unknown}/documents/{uuid.uuid4()}", None),
        ("GET", f"/requests/{unknown}/documents/{uuid.uuid4()}", None),
    ):
        response = await vehicles.client.request(method, vehicles.url(path), json=body, headers=operator)
        assert (response.status_code, response.json()["code"]) == (404, "request_not_found"), path


async def test_operator_routes_refuse_citizens_and_anonymous_callers(vehicles) -> None:  # noqa: ANN001
    request = await vehicles.submitted(vehicles.citizen())
    document = request["documents"][0]["id"]
    routes = [
        ("GET", "/admin/requests", None),
        ("GET", f"/admin/requests/{request['id']}", None),
        ("POST", f"/admin/requests/{request['id']}/approve", {"electric": True}),
        ("POST", f"/admin/requests/{request['id']}/reject", {"reason": "Motivo valido"}),
        ("GET", f"/admin/requests/{request['id']}/documents/{document}", None),
        ("GET", f"/admin/requests/{request['id']}/documents/{document}/preview", None),
    ]
    for method, path, body in routes:
        anonymous = await vehicles.client.request(method, vehicles.url(path), json=body)
        assert anonymous.status_code == 401, path
        citizen = await vehicles.client.request(
            method, vehicles.url(path), json=body, headers=vehicles.citizen()
        )
        assert citizen.status_code == 403, path
    assert (
        await vehicles.client.get(vehicles.url("/admin/requests"), headers=vehicles.operator("admin"))
    ).status_code == 200
    assert await vehicles.payloads("vehicles.request.approved", request_id=request["id"]) == []


async def test_citizen_routes_refuse_operators_and_anonymous_callers(vehicles) -> None:  # noqa: ANN001
    for method, path in (
        ("GET", "/requests"),
        ("POST", "/requests"),
        ("GET", f"/requests/{uuid.uuid4()}"),
        ("GET", "/plates"),
        ("DELETE", f"/plates/{uuid.uuid4()}"),
    ):
        assert (await vehicles.client.request(method, vehicles.url(path))).status_code == 401, path
        staff = await vehicles.client.request(method, vehicles.url(path), headers=vehicles.operator())
        assert staff.status_code == 403, path
