"""Operators' review: the queue, a request's page, its documents, approve or reject; exactly
one decision when two operators decide at once; every decision in the audit trail."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import date

from PIL import Image


async def test_the_queue_lists_pending_requests_oldest_first_with_the_citizens_name(service) -> None:  # noqa: ANN001
    first, second = service.citizen(), service.citizen()
    await service.register(first, first_name="Lucia", last_name="Gallo")
    one = await service.pending_request(first, "S3")
    two = await service.pending_request(second, "S3")  # not in the read model yet
    response = await service.client.get(
        service.url("/admin/requests"),
        params={"status": "pending", "sector_code": "s3", "limit": 100},
        headers=service.headers("operator"),
    )
    assert response.status_code == 200
    items = [i for i in response.json()["items"] if i["id"] in (one["id"], two["id"])]
    assert [i["id"] for i in items] == [one["id"], two["id"]]
    assert items[0]["citizen"]["last_name"] == "Gallo" and items[0]["user_id"] == str(first.user_id)
    assert items[1]["citizen"] is None
    assert all(i["status"] == "pending" and i["sector_code"] == "S3" for i in response.json()["items"])

    by_citizen = await service.client.get(
        service.url("/admin/requests"),
        params={"user_id": str(first.user_id)},
        headers=service.headers("admin"),
    )
    assert [i["id"] for i in by_citizen.json()["items"]] == [one["id"]]
    bad_status = await service.client.get(
        service.url("/admin/requests"), params={"status": "whatever"}, headers=service.headers("operator")
    )
    assert bad_status.status_code == 422


async def test_an_operator_sees_the_citizen_the_documents_and_the_trail(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    await service.register(citizen, address_street="Corso Trieste", address_number="3")
    request = await service.pending_request(citizen, "S2")
    operator = service.headers("operator")
    detail = await service.client.get(service.url(f"/admin/requests/{request['id']}"), headers=operator)
    assert detail.status_code == 200
    body = detail.json()
    assert (
        body["citizen"]["tax_code"] == "RSSMRA80A01B963K"
        and body["citizen"]["address_street"] == "Corso Trieste"
    )
    # Corso Trieste is in S1, not in the S2 the citizen chose: the operator is told.
    assert body["address_in_sector"] is False
    assert [(d["field"], d["pages"]) for d in body["documents"]] == [
        ("identity_document", 1),
        ("self_certification", 1),
    ]
    assert body["audit"] == []

    image = body["documents"][0]
    download = await service.client.get(
        service.url(f"/admin/requests/{request['id']}/documents/{image['id']}"), headers=operator
    )
    assert download.status_code == 200 and download.headers["content-type"] == "image/jpeg"
    assert download.headers["content-disposition"].startswith("attachment;")
    preview = await service.client.get(
        service.url(f"/admin/requests/{request['id']}/documents/{image['id']}/preview"), headers=operator
    )
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(preview.content)).format == "PNG"
    missing_page = await service.client.get(
        service.url(f"/admin/requests/{request['id']}/documents/{image['id']}/preview"),
        params={"page": 2},
        headers=operator,
    )
    assert missing_page.status_code == 404
    pdf = body["documents"][1]
    pdf_preview = await service.client.get(
        service.url(f"/admin/requests/{request['id']}/documents/{pdf['id']}/preview"),
        params={"page": 1},
        headers=operator,
    )
    assert pdf_preview.status_code == 200
    assert Image.open(io.BytesIO(pdf_preview.content)).format == "PNG"
    other_document = await service.client.get(
        service.url(f"/admin/requests/{request['id']}/documents/{uuid.uuid4()}"), headers=operator
    )
    assert other_document.status_code == 404


async def test_approving_creates_the_certification_valid_until_the_end_of_the_year(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    request = await service.pending_request(citizen, "S4")
    approved = await service.decide(request["id"], "approve", {})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    today = date.fromisoformat(body["valid_from"])
    assert (body["status"], body["status_label"]) == ("approved", "Approvata")
    assert body["valid_until"] == date(today.year, 12, 31).isoformat()
    [event] = await service.events("certification.request.approved.v1", request_id=request["id"])
    assert event == {
        "request_id": request["id"],
        "certification_id": body["certification_id"],
        "user_id": str(citizen.user_id),
        "sector_code": "S4",
        "sector_name": "Settore 4 – Viale Lincoln e Parco degli Aranci",
        "valid_from": today.isoformat(),
        "valid_until": f"{today.year}-12-31",
        "decided_at": event["decided_at"],
    }
    [entry] = body["audit"]
    assert entry["action"] == "approved" and entry["actor_role"] == "operator"
    assert entry["details"]["certification_id"] == body["certification_id"]
    seen_by_citizen = await service.client.get(
        service.url(f"/requests/{request['id']}"), headers=citizen.headers
    )
    assert seen_by_citizen.json()["valid_until"] == f"{today.year}-12-31"


async def test_approving_with_no_body_at_all_works_too(service) -> None:  # noqa: ANN001
    request = await service.pending_request(service.citizen())
    response = await service.client.post(
        service.url(f"/admin/requests/{request['id']}/approve"), headers=service.headers("admin")
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"


async def test_a_rejection_needs_a_reason_and_keeps_it(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    request = await service.pending_request(citizen)
    for body in ({}, {"reason": None}, {"reason": "   "}, {"reason": " no "}, {"reason": "x" * 501}):
        refused = await service.decide(request["id"], "reject", body)
        assert refused.status_code == 422, body
        assert refused.json()["errors"][0]["field"] == "reason"
    no_body = await service.client.post(
        service.url(f"/admin/requests/{request['id']}/reject"), headers=service.headers("operator")
    )
    assert no_body.status_code == 422
    rejected = await service.decide(
        request["id"], "reject", {"reason": "  L'autocertificazione non è firmata.  "}
    )
    assert rejected.status_code == 200
    body = rejected.json()
    assert (body["status"], body["status_label"]) == ("rejected", "Rifiutata")
    assert body["outcome_reason"] == "L'autocertificazione non è firmata."
    assert body["valid_until"] is None and body["certification_id"] is None
    [entry] = body["audit"]
    assert (entry["action"], entry["reason"]) == ("rejected", "L'autocertificazione non è firmata.")
    [event] = await service.events("certification.request.rejected.v1", request_id=request["id"])
    assert (event["reason"], event["user_id"], event["sector_code"]) == (
        "L'autocertificazione non è firmata.",
        str(citizen.user_id),
        "S1",
    )


async def test_a_decided_request_cannot_be_decided_again(service) -> None:  # noqa: ANN001
    request = await service.pending_request(service.citizen())
    assert (await service.decide(request["id"], "approve")).status_code == 200
    for action, body in (("approve", {}), ("reject", {"reason": "Ripensamento dell'operatore"})):
        again = await service.decide(request["id"], action, body)
        assert again.status_code == 409
        assert again.json()["code"] == "request_already_decided"
        assert (
            again.json()["detail"]
            == "La richiesta è già stata decisa da un altro operatore: ricarica la pagina."
        )
    assert await service.audit_entries(request["id"]) == 1


async def test_two_operators_deciding_at_once_make_exactly_one_decision(service) -> None:  # noqa: ANN001
    for actions in (("approve", "reject"), ("approve", "approve"), ("reject", "reject")):
        request = await service.pending_request(service.citizen())
        bodies = {"approve": {}, "reject": {"reason": "Documento non leggibile."}}
        responses = await asyncio.gather(
            *(service.decide(request["id"], action, bodies[action]) for action in actions)
        )
        assert sorted(r.status_code for r in responses) == [200, 409], actions
        approved = await service.events("certification.request.approved.v1", request_id=request["id"])
        rejected = await service.events("certification.request.rejected.v1", request_id=request["id"])
        assert len(approved) + len(rejected) == 1, actions
        assert await service.audit_entries(request["id"]) == 1


async def test_deciding_a_request_that_does_not_exist_is_not_found(service) -> None:  # noqa: ANN001
    missing = uuid.uuid4()
    assert (await service.decide(str(missing), "approve", {})).status_code == 404
    assert (await service.decide(str(missing), "reject", {"reason": "Motivo valido"})).status_code == 404
    assert (await service.decide("not-a-uuid", "approve", {})).status_code == 422


async def test_operators_routes_refuse_citizens_and_anonymous_callers(service) -> None:  # noqa: ANN001
    owner = service.citizen()
    request = await service.pending_request(owner)
    document_id = request["documents"][0]["id"]
    base = f"/admin/requests/{request['id']}"
    routes = [
        ("GET", "/admin/requests", None),
        ("GET", base, None),
        ("GET", f"{base}/documents/{document_id}", None),
        ("GET", f"{base}/documents/{document_id}/preview", None),
        ("POST", f"{base}/approve", {}),
        ("POST", f"{base}/reject", {"reason": "Motivo del rifiuto"}),
    ]
    for method, path, body in routes:
        anonymous = await service.client.request(method, service.url(path), json=body)
        assert anonymous.status_code == 401, path
        as_citizen = await service.client.request(method, service.url(path), json=body, headers=owner.headers)
        assert as_citizen.status_code == 403, path
        assert as_citizen.json()["code"] == "forbidden"
    detail = await service.client.get(service.url(base), headers=service.headers("operator"))
    assert detail.json()["status"] == "pending"
