"""Fase 5–6 for citizens: sectors, the suggested sector, the form, "Invia Richiesta", their
requests; one pending request at a time; nobody reads another citizen's request."""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid

from pypdf import PdfReader
from sqlalchemy import func, select

from certification.models import CertificationRequest, documents
from certification.service import requests as request_use_cases
from kit.documents import ReceivedDocument
from kit.errors import Conflict
from kit.uow import unit_of_work


def pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(content)).pages
    )


async def test_a_citizen_goes_from_the_sector_to_a_submitted_request(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    await service.register(
        citizen,
        first_name="Maria Grazia",
        last_name="D'Angelo",
        sex="F",
        tax_code="DNGMGR85D49B963Z",
        birth_place="Santa Maria Capua Vetere",
        address_street="V. Mazzini",
        address_number="7",
    )

    sectors = await service.client.get(service.url("/sectors"), headers=citizen.headers)
    assert sectors.status_code == 200
    assert {"S1", "S2", "S3", "S4"} <= {s["code"] for s in sectors.json()["items"]}

    suggested = await service.client.get(service.url("/sectors/suggested"), headers=citizen.headers)
    assert suggested.status_code == 200
    assert suggested.json()["sector"]["code"] == "S1"
    assert suggested.json()["address"] == "V. Mazzini 7, 81100 Caserta"

    form = await service.client.get(
        service.url("/form"), params={"sector_code": "S1"}, headers=citizen.headers
    )
    assert form.status_code == 200
    assert form.headers["content-type"] == "application/pdf"
    assert form.headers["content-disposition"] == 'attachment; filename="autocertificazione-residenza-s1.pdf"'
    text = pdf_text(form.content)
    for expected in (
        "Maria Grazia D'Angelo",
        "DNGMGR85D49B963Z",
        "Santa Maria Capua Vetere",
        "01/01/1980",
        "Settore 1 – Centro storico",
        "La sottoscritta",
        "art. 46",
        "art. 76",
        "2016/679",
        "Al Comune di Caserta",
    ):
        assert expected in text, expected

    identity_document = service.image("JPEG")
    submitted = await service.submit(
        citizen, "s1", identity_document=("documento identità.jpg", identity_document, "image/jpeg")
    )
    assert submitted.status_code == 201, submitted.text
    body = submitted.json()
    assert (body["sector_code"], body["sector_name"]) == ("S1", "Settore 1 – Centro storico")
    assert (body["status"], body["status_label"]) == ("pending", "In attesa di esito")
    assert body["decided_at"] is body["outcome_reason"] is body["valid_until"] is None
    assert [(d["field"], d["label"], d["content_type"]) for d in body["documents"]] == [
        ("identity_document", "Documento d'identità", "image/jpeg"),
        ("self_certification", "Autocertificazione di residenza", "application/pdf"),
    ]
    assert await service.events(
        "certification.request.submitted.v1", request_id=body["id"], user_id=citizen.user_id, sector_code="S1"
    )

    listed = await service.client.get(service.url("/requests"), headers=citizen.headers)
    assert listed.status_code == 200
    assert listed.json()["total"] == 1
    [item] = listed.json()["items"]
    assert item["id"] == body["id"] and item["status_label"] == "In attesa di esito"
    assert set(item) == {
        "id",
        "sector_code",
        "sector_name",
        "status",
        "status_label",
        "submitted_at",
        "decided_at",
        "outcome_reason",
        "certification_id",
        "valid_from",
        "valid_until",
    }

    detail = await service.client.get(service.url(f"/requests/{body['id']}"), headers=citizen.headers)
    assert detail.status_code == 200 and len(detail.json()["documents"]) == 2
    document_id = body["documents"][0]["id"]
    download = await service.client.get(
        service.url(f"/requests/{body['id']}/documents/{document_id}"), headers=citizen.headers
    )
    assert download.status_code == 200
    assert download.content == identity_document
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["x-content-type-options"] == "nosniff"


async def test_the_form_of_a_citizen_not_known_yet_has_blank_lines_to_fill_by_hand(service) -> None:  # noqa: ANN001
    citizen = service.citizen()  # no citizens row: identity's event has not arrived
    form = await service.client.get(service.url("/form"), headers=citizen.headers)
    assert form.status_code == 200
    text = pdf_text(form.content)
    assert "Il/La sottoscritto/a" in text and "nato/a" in text
    assert "DICHIARAZIONE SOSTITUTIVA DI CERTIFICAZIONE" in text
    assert "Caserta, lì" in text


async def test_the_form_for_a_sector_that_does_not_exist_is_not_found(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    for code in ("ZZ9", "not a code!"):
        response = await service.client.get(
            service.url("/form"), params={"sector_code": code}, headers=citizen.headers
        )
        assert response.status_code == 404, code
        assert response.json()["code"] == "sector_not_found"
    # A control character never reaches the use case: the kit's input guard refuses it.
    response = await service.client.get(
        service.url("/form"), params={"sector_code": "x\x00"}, headers=citizen.headers
    )
    assert (response.status_code, response.json()["code"]) == (422, "control_characters")


async def test_no_sector_is_suggested_to_a_citizen_whose_address_no_sector_lists(service) -> None:  # noqa: ANN001
    unknown = service.citizen()
    answer = await service.client.get(service.url("/sectors/suggested"), headers=unknown.headers)
    assert answer.json() == {"sector": None, "address": None}
    elsewhere = service.citizen()
    await service.register(elsewhere, address_street="Via dei Mille")
    answer = await service.client.get(service.url("/sectors/suggested"), headers=elsewhere.headers)
    assert answer.json() == {"sector": None, "address": "Via dei Mille 12, 81100 Caserta"}


async def test_a_second_request_while_one_is_pending_is_refused(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    await service.pending_request(citizen)
    second = await service.submit(citizen, "S2")
    assert second.status_code == 409
    assert second.json()["code"] == "certification_request_pending"
    assert second.json()["detail"] == (
        "Hai già una richiesta di certificazione in attesa di esito: attendi la risposta dell'operatore."
    )
    assert (await service.client.get(service.url("/requests"), headers=citizen.headers)).json()["total"] == 1
    assert await service.documents_of(citizen.user_id) == 2


async def test_of_two_requests_sent_at_the_same_time_exactly_one_is_accepted(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    responses = await asyncio.gather(service.submit(citizen, "S1"), service.submit(citizen, "S2"))
    assert sorted(r.status_code for r in responses) == [201, 409]
    [refused] = [r for r in responses if r.status_code == 409]
    assert refused.json()["code"] == "certification_request_pending"
    assert (await service.client.get(service.url("/requests"), headers=citizen.headers)).json()["total"] == 1
    # Nothing of the refused request stays: only the accepted one's two documents.
    assert await service.documents_of(citizen.user_id) == 2
    assert len(await service.events("certification.request.submitted.v1", user_id=citizen.user_id)) == 1


async def test_the_unique_index_decides_when_the_other_request_is_not_committed_yet(service) -> None:  # noqa: ANN001
    """Past the early check (it cannot see an uncommitted request), the index refuses."""
    citizen = service.citizen()
    rt = service.runtime
    upload = {
        "identity_document": _received("identity_document", service.pdf()),
        "self_certification": _received("self_certification", service.pdf()),
    }
    async with unit_of_work(rt.db) as first:
        await request_use_cases.submit(first, rt, citizen.user_id, sector_code="S1", documents=upload)

        async def second() -> None:
            async with unit_of_work(rt.db) as session:
                await request_use_cases.submit(
                    session, rt, citizen.user_id, sector_code="S2", documents=upload
                )

        racing = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # it waits on the index for the first transaction
        assert not racing.done()
    try:
        await racing
    except Conflict as refusal:
        assert refusal.code == "certification_request_pending"
    else:
        raise AssertionError("the second pending request was accepted")
    async with rt.db.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(CertificationRequest)
            .where(CertificationRequest.user_id == citizen.user_id)
        )
    assert count == 1


def _received(field: str, content: bytes) -> ReceivedDocument:
    return ReceivedDocument(
        field=field,
        filename=f"{field}.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


async def test_after_a_rejection_a_new_request_is_accepted(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    first = await service.pending_request(citizen)
    rejected = await service.decide(first["id"], "reject", {"reason": "Il documento d'identità è scaduto."})
    assert rejected.status_code == 200
    again = await service.submit(citizen, "S1")
    assert again.status_code == 201, again.text
    listed = (await service.client.get(service.url("/requests"), headers=citizen.headers)).json()
    # Newest first, with the rejection's reason for the citizen to read.
    assert [(i["status"], i["status_label"]) for i in listed["items"]] == [
        ("pending", "In attesa di esito"),
        ("rejected", "Rifiutata"),
    ]
    assert listed["items"][1]["outcome_reason"] == "Il documento d'identità è scaduto."


async def test_a_request_for_a_missing_or_unknown_sector_is_refused_on_its_field(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    for code, error in (("", "required"), ("ZZ9", "sector_unavailable"), ("S1; drop", "sector_unavailable")):
        response = await service.submit(citizen, code)
        assert response.status_code == 422, code
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("sector_code", error)]
    no_field = await service.client.post(
        service.url("/requests"),
        files={
            "identity_document": ("ci.pdf", service.pdf(), "application/pdf"),
            "self_certification": ("auto.pdf", service.pdf(), "application/pdf"),
        },
        headers=citizen.headers,
    )
    assert no_field.status_code == 422
    assert no_field.json()["errors"][0]["field"] == "sector_code"
    assert await service.documents_of(citizen.user_id) == 0


async def test_a_refused_upload_stores_no_request_and_no_document(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    requests_before = await service.count(CertificationRequest)
    documents_before = await service.count(documents)
    refused = await service.submit(
        citizen,
        "S1",
        self_certification=("modulo.pdf", b"MZ\x90\x00 not a pdf at all" * 100, "application/pdf"),
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["self_certification"]
    missing = await service.client.post(
        service.url("/requests"),
        data={"sector_code": "S1"},
        files={"identity_document": ("ci.pdf", service.pdf(), "application/pdf")},
        headers=citizen.headers,
    )
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["self_certification"]
    assert await service.count(CertificationRequest) == requests_before
    assert await service.count(documents) == documents_before
    assert await service.documents_of(citizen.user_id) == 0
    assert (await service.client.get(service.url("/requests"), headers=citizen.headers)).json()["total"] == 0


async def test_a_citizen_cannot_reach_another_citizens_request_or_documents(service) -> None:  # noqa: ANN001
    owner, other = service.citizen(), service.citizen()
    request = await service.pending_request(owner)
    document_id = request["documents"][0]["id"]
    for path in (
        f"/requests/{request['id']}",
        f"/requests/{request['id']}/documents/{document_id}",
    ):
        response = await service.client.get(service.url(path), headers=other.headers)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert (await service.client.get(service.url(path), headers=owner.headers)).status_code == 200
    assert (await service.client.get(service.url("/requests"), headers=other.headers)).json()["total"] == 0
    # Nor a document of the owner's through a request of the other's.
    own = await service.pending_request(other)
    response = await service.client.get(
        service.url(f"/requests/{own['id']}/documents/{document_id}"), headers=other.headers
    )
    assert response.status_code == 404
    assert response.json()["code"] == "document_not_found"


async def test_an_operator_may_download_a_citizens_document_from_the_citizens_path(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    request = await service.pending_request(citizen)
    document_id = request["documents"][1]["id"]
    response = await service.client.get(
        service.url(f"/requests/{request['id']}/documents/{document_id}"), headers=service.headers("operator")
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


async def test_ids_that_are_not_uuids_or_do_not_exist_give_4xx_never_500(service) -> None:  # noqa: ANN001
    citizen = service.citizen()
    for path in ("/requests/42", "/requests/not-a-uuid/documents/x", f"/requests/{uuid.uuid4()}"):
        response = await service.client.get(service.url(path), headers=citizen.headers)
        assert response.status_code in (404, 422), path
        assert response.headers["content-type"] == "application/problem+json"


async def test_citizens_routes_need_a_login(service) -> None:  # noqa: ANN001
    for method, path in (
        ("GET", "/sectors"),
        ("GET", "/sectors/suggested"),
        ("GET", "/form"),
        ("GET", "/requests"),
        ("POST", "/requests"),
        ("GET", f"/requests/{uuid.uuid4()}"),
    ):
        response = await service.client.request(method, service.url(path))
        assert response.status_code == 401, path


async def test_staff_cannot_submit_a_certification_request(service) -> None:  # noqa: ANN001
    for role in ("operator", "admin"):
        response = await service.client.post(
            service.url("/requests"), data={"sector_code": "S1"}, headers=service.headers(role)
        )
        assert response.status_code == 403
