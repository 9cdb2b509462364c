"""Whatever a client sends to the vehicles API, the answer is a 4xx problem, never a 500."""

from __future__ import annotations

import uuid

import pytest

ODD_TEXTS = [
    "",
    " ",
    "\t\n",
    "x" * 5000,
    "Ω≈ç√∫",
    "ǅǆ ß ﬃ",
    "AB123CD\u200b",
    "AB\u202e123CD",
    "'; DROP TABLE plates; --",
    "%00",
    "\U0001f697",
]


@pytest.mark.parametrize("text", ODD_TEXTS)
async def test_odd_text_in_every_form_field_is_refused_or_accepted_never_failed(vehicles, text: str) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    for field in ("plate", "plate_confirmation", "foreign", "make", "model", "fuel", "owned"):
        response = await vehicles.submit(citizen, **{field: text})
        assert response.status_code in (201, 409, 422), (field, text, response.text)
        assert response.headers["content-type"].startswith("application/")


async def test_invalid_utf8_and_control_characters_in_the_form_are_refused(vehicles) -> None:  # noqa: ANN001
    boundary = "limite"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="plate"\r\n\r\n'.encode()
        + b"\xff\xfeAB\x00"
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="make"\r\n\r\nFi\x00at\r\n--{boundary}--\r\n'.encode()
    )
    response = await vehicles.client.post(
        vehicles.url("/requests"),
        content=body,
        headers={**vehicles.citizen(), "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} >= {"plate", "make"}


async def test_an_unexpected_file_and_a_file_too_large_are_refused(vehicles) -> None:  # noqa: ANN001
    citizen = vehicles.citizen()
    unexpected = await vehicles.submit(
        citizen, files={**vehicles.files(), "photo": ("foto.png", vehicles.png(), "image/png")}
    )
    assert unexpected.status_code == 422
    assert unexpected.json()["errors"][0]["field"] == "photo"
    limit = vehicles.app.state.runtime.settings.upload_max_bytes
    too_large = await vehicles.submit(
        citizen,
        files={"registration_document": ("libretto.pdf", b"%PDF-1.4\n" + b"0" * limit, "application/pdf")},
    )
    assert too_large.status_code == 422
    assert too_large.json()["errors"][0]["code"] in ("file_too_large", "body_too_large")


async def test_non_multipart_bodies_are_refused(vehicles) -> None:  # noqa: ANN001
    for content, content_type in ((b'{"plate": "AB123CD"}', "application/json"), (b"plate=AB123CD", None)):
        headers = {**vehicles.citizen(), **({"content-type": content_type} if content_type else {})}
        response = await vehicles.client.post(vehicles.url("/requests"), content=content, headers=headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["code"] == "not_multipart"


async def test_bad_ids_and_pages_are_refused(vehicles) -> None:  # noqa: ANN001
    citizen, operator = vehicles.citizen(), vehicles.operator()
    for path, headers in (
        ("/requests/123", citizen),
        ("/requests?limit=0", citizen),
        ("/requests?limit=1000", citizen),
        ("/plates?offset=-1", citizen),
        (f"/requests/{uuid.uuid4()}/documents/nope", citizen),
        ("/admin/requests/%00", operator),
        (f"/admin/requests/{uuid.uuid4()}/documents/{uuid.uuid4()}/preview?page=0", operator),
        ("/admin/requests?plate=" + "A" * 21, operator),
    ):
        response = await vehicles.client.get(vehicles.url(path), headers=headers)
        assert response.status_code == 422, (path, response.text)
    removal = await vehicles.client.delete(vehicles.url("/plates/not-an-id"), headers=citizen)
    assert removal.status_code == 422
