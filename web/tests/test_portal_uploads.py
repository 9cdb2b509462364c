"""Files from the browser to a service: the portal forwards them streamed, chunk by chunk, with
their name and type. Here a form of the tests' own sends through the certification client (the
real pages are tested in test_portal_certifications and test_portal_plates), and the service's
endpoint is a double that parses the body as FastAPI would."""

import os

import httpx
import pytest
from fastapi import Request
from fastapi.responses import PlainTextResponse
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartParser

from portal.api import CHUNK_SIZE, FileUpload, Multipart, call, create_api_client
from portal.deps import Certification, CurrentUser
from portal.settings import PortalSettings

REQUESTS = "/api/certifications/requests"
CREATED = {
    "id": "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "status": "pending",
    "submitted_at": "2026-03-02T09:15:00Z",
}
# Bigger than Starlette's in-memory spool (1 MiB) and than many chunks; with what a careless
# encoder would break on: CRLF, dashes, a fake boundary, NUL bytes.
DOCUMENT = os.urandom(1_300_000) + b"\r\n--\r\n--boundary--\r\n\x00" + os.urandom(1000)
SELF_CERTIFICATION = b"%PDF-1.7\n" + os.urandom(70_000)


async def parse_form(request: httpx.Request) -> dict:
    """The multipart body as the service would read it: {name: value or (filename, type, bytes)}."""

    async def body():
        yield request.content

    form = await MultiPartParser(Headers(headers=dict(request.headers)), body()).parse()
    parsed = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            parsed[name] = (value.filename, value.content_type, await value.read())
        else:
            parsed[name] = value
    return parsed


@pytest.fixture
def certification_service(gateway):
    """The service's endpoint: keeps what it received, answers the request created."""
    received: list[dict] = []

    async def endpoint(request: httpx.Request) -> httpx.Response:
        received.append(await parse_form(request))
        return httpx.Response(201, json=CREATED)

    gateway.on("POST", REQUESTS, endpoint)
    return received


@pytest.fixture
def upload_form(portal_app):
    """A portal page that takes the files of a form and sends them on."""

    async def send(request: Request, user: CurrentUser, certification: Certification):
        form = await request.form()
        created = await certification.submit_request(
            str(form["sector_code"]),
            identity_document=FileUpload.from_upload(form["identity_document"]),
            self_certification=FileUpload.from_upload(form["self_certification"]),
        )
        return PlainTextResponse(str(created.id), status_code=201)

    portal_app.add_api_route("/prova/caricamento", send, methods=["POST"])
    return "/prova/caricamento"


async def _post_files(client, csrf, path):
    return await client.post(
        path,
        data={"sector_code": "A1", "csrf_token": await csrf("/profilo")},
        files={
            "identity_document": ("carta d'identità.pdf", DOCUMENT, "application/pdf"),
            "self_certification": ("autocertificazione.pdf", SELF_CERTIFICATION, "application/pdf"),
        },
    )


async def test_a_form_sends_its_files_to_the_service_with_name_type_and_exact_bytes(
    client, gateway, login_as, csrf, certification_service, upload_form
):
    await login_as("citizen")
    response = await _post_files(client, csrf, upload_form)

    assert response.status_code == 201 and response.text == CREATED["id"]
    assert certification_service == [
        {
            "sector_code": "A1",
            "identity_document": ("carta d'identità.pdf", "application/pdf", DOCUMENT),
            "self_certification": ("autocertificazione.pdf", "application/pdf", SELF_CERTIFICATION),
        }
    ]
    sent = gateway.calls("POST", REQUESTS)[-1]
    assert sent.headers["authorization"] == "Bearer access-1"
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    # The length is announced from the files' sizes, not counted by reading them first.
    assert int(sent.headers["content-length"]) == len(sent.content)
    assert "transfer-encoding" not in sent.headers


async def test_after_a_401_the_files_are_sent_again_whole_with_the_new_token(
    client, gateway, login_as, csrf, upload_form, make_problem
):
    await login_as("citizen")
    received = []

    async def endpoint(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == "Bearer access-1":
            return make_problem(401, "unauthenticated", "Sessione non valida.")
        received.append(await parse_form(request))
        return httpx.Response(201, json=CREATED)

    gateway.on("POST", REQUESTS, endpoint)
    gateway.on(
        "POST",
        "/api/identity/auth/refresh",
        httpx.Response(
            200,
            json={
                "access_token": "access-2",
                "refresh_token": "refresh-2",
                "expires_in": 600,
                "role": "citizen",
            },
        ),
    )
    response = await _post_files(client, csrf, upload_form)

    assert response.status_code == 201
    assert received[0]["identity_document"][2] == DOCUMENT
    assert received[0]["self_certification"][2] == SELF_CERTIFICATION


class _RecordingFile:
    """A file that notes every read asked of it."""

    def __init__(self, data: bytes) -> None:
        self.data, self.position, self.reads = data, 0, []

    async def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        end = len(self.data) if size < 0 else self.position + size
        chunk, self.position = self.data[self.position : end], min(end, len(self.data))
        return chunk

    async def seek(self, offset: int) -> None:
        self.position = offset


async def test_a_file_is_read_a_chunk_at_a_time_while_it_is_sent_never_whole():
    received = []

    async def service(request: httpx.Request) -> httpx.Response:
        received.append(await parse_form(request))
        return httpx.Response(201, json={})

    source = _RecordingFile(DOCUMENT)
    body = Multipart(
        fields={"sector_code": "A1"},
        files={"identity_document": FileUpload("doc.pdf", "application/pdf", source, len(DOCUMENT))},
    )
    settings = PortalSettings(environment="test", api_base_url="http://gateway.test")
    async with create_api_client(settings, transport=httpx.MockTransport(service)) as api:
        await call(api, "POST", REQUESTS, multipart=body)

    assert received[0]["identity_document"] == ("doc.pdf", "application/pdf", DOCUMENT)
    assert len(source.reads) > len(DOCUMENT) // CHUNK_SIZE
    assert all(0 < size <= CHUNK_SIZE for size in source.reads)


async def test_quotes_and_line_breaks_in_a_file_name_cannot_forge_another_field():
    received = []

    async def service(request: httpx.Request) -> httpx.Response:
        received.append(await parse_form(request))
        return httpx.Response(201, json={})

    name = 'a".pdf\r\nContent-Disposition: form-data; name="sector_code"'
    body = Multipart(
        fields={"sector_code": "A1"},
        files={"identity_document": FileUpload(name, "application/pdf", _RecordingFile(b"x"), 1)},
    )
    settings = PortalSettings(environment="test", api_base_url="http://gateway.test")
    async with create_api_client(settings, transport=httpx.MockTransport(service)) as api:
        await call(api, "POST", REQUESTS, multipart=body)

    assert received[0]["sector_code"] == "A1"
    filename, content_type, content = received[0]["identity_document"]
    assert content == b"x" and content_type == "application/pdf"
    assert not {'"', "\r", "\n"} & set(filename)
