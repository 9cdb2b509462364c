"""Uploaded documents: what is accepted, what is refused (and when reading stops), how they are
stored in the request's transaction and how they are served."""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import uuid
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from fastapi import FastAPI, Request
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.ext.asyncio import create_async_engine

from kit.auth import Principal
from kit.db import Database
from kit.documents import (
    DEFAULT_MAX_BYTES,
    DOCUMENT_KINDS,
    JPEG,
    PDF,
    PNG,
    DatabaseDocumentStore,
    DocumentRefused,
    ReceivedDocument,
    StoredDocument,
    UploadRule,
    check_document,
    document_response,
    documents_table,
    fetch_document,
    multipart_openapi,
    page_count,
    read_multipart,
    render_preview,
    safe_filename,
)
from kit.errors import Invalid, NotFound
from kit.migrations import create_documents_table, drop_documents_table
from kit.problems import install_problem_handlers
from kit.testing.pipeline import create_tables

BOUNDARY = "----confine7MA4YWxkTrZu0gW"
CHUNK = 64 * 1024
IDENTITY = UploadRule("identity_document", "Documento d'identità")
REGISTRATION = UploadRule("registration_document", "Libretto di circolazione")
ATTESTATION = UploadRule("availability_attestation", "Attestazione di disponibilità", required=False)


# --- Files made here -------------------------------------------------------------------------


def pdf_bytes(build=None) -> bytes:  # noqa: ANN001
    """A one-page PDF with a black rectangle; ``build(writer, page)`` adds what a test needs."""
    writer = PdfWriter()
    page = writer.add_blank_page(300, 400)
    contents = ContentStream(None, None)
    contents.set_data(b"0 0 0 rg 30 40 240 320 re f")
    page.replace_contents(contents)
    if build is not None:
        build(writer, page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **save) -> bytes:  # noqa: ANN003
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else 128)
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def png_chunks(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        yield offset, length, data[offset + 4 : offset + 8]
        offset += 12 + length


def png_with_idat(data: bytes, payload: bytes, *, crc: int | None = None) -> bytes:
    """The PNG with its pixel data replaced by ``payload`` (checksum right unless ``crc``)."""
    offset, length, _ = next(c for c in png_chunks(data) if c[2] == b"IDAT")
    checksum = zlib.crc32(b"IDAT" + payload) if crc is None else crc
    chunk = struct.pack(">I", len(payload)) + b"IDAT" + payload + struct.pack(">I", checksum)
    return data[:offset] + chunk + data[offset + 12 + length :]


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(2000)
PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + bytes(44)
    + b"\x80\x00\x00\x00"
    + bytes(64)
    + b"PE\x00\x00"
    + bytes(2000)
)


# --- Requests made here ----------------------------------------------------------------------


def part(name: str, data: bytes, filename: str | None = None, content_type: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    return head.encode() + b"\r\n" + data + b"\r\n"


def body_of(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class Feed:
    """The ASGI ``receive`` of a request body, counting what the application consumed."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = iter(chunks)
        self.consumed = 0

    async def receive(self) -> dict:
        chunk = next(self.chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        self.consumed += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}


def request_of(
    body: bytes | Iterable[bytes],
    *,
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}",
    content_length: int | None = None,
) -> tuple[Request, Feed]:
    if isinstance(body, bytes):
        content_length = len(body) if content_length is None else content_length
        body = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
    headers = [(b"content-type", content_type.encode())]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    feed = Feed(body)
    scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": headers}
    return Request(scope, feed.receive), feed


async def refusal(body: bytes, rules=(IDENTITY,), fields=(), **options) -> dict[str, tuple[str, str]]:  # noqa: ANN001, ANN003
    """The errors of a refused body, by field: (code, message)."""
    request, _ = request_of(body)
    with pytest.raises(Invalid) as caught:
        await read_multipart(request, rules, fields, **options)
    return {error.field: (error.code, error.message) for error in caught.value.errors}


async def codes(body: bytes, rules=(IDENTITY,), fields=(), **options) -> dict[str, str]:  # noqa: ANN001, ANN003
    return {name: code for name, (code, _) in (await refusal(body, rules, fields, **options)).items()}


# --- Accepted --------------------------------------------------------------------------------


async def test_pdf_jpeg_and_png_are_accepted_with_type_size_and_sha256_from_their_content() -> None:
    pdf, jpeg, png = pdf_bytes(), image_bytes("JPEG"), image_bytes("PNG")
    body = body_of(
        part("plate", b"  CE123AB \r\n"),
        # Declared types and names say nothing true: only the content counts.
        part("identity_document", pdf, "carta.pdf", "application/octet-stream"),
        part("registration_document", jpeg, "libretto.jpg", "application/pdf"),
        part("availability_attestation", png, "attestazione.png", "text/plain"),
    )
    request, _ = request_of(body)

    upload = await read_multipart(request, [IDENTITY, REGISTRATION, ATTESTATION], ["plate", "notes"])

    assert upload.fields == {"plate": "CE123AB"}
    for field, content, kind in [
        ("identity_document", pdf, PDF),
        ("registration_document", jpeg, JPEG),
        ("availability_attestation", png, PNG),
    ]:
        document = upload.documents[field]
        assert (document.field, document.content_type, document.size) == (field, kind, len(content))
        assert document.sha256 == hashlib.sha256(content).hexdigest()
        assert document.content == content
    assert upload.documents["identity_document"].filename == "carta.pdf"


async def test_missing_optional_file_is_absent_and_a_browsers_empty_file_input_counts_as_missing() -> None:
    body = body_of(
        part("identity_document", pdf_bytes(), "carta.pdf"),
        part("availability_attestation", b"", "", "application/octet-stream"),
    )
    request, _ = request_of(body)

    upload = await read_multipart(request, [IDENTITY, ATTESTATION])

    assert set(upload.documents) == {"identity_document"}


async def test_a_pdf_opening_at_a_page_with_a_web_link_is_accepted() -> None:
    def build(writer: PdfWriter, page) -> None:  # noqa: ANN001
        writer.root_object[NameObject("/OpenAction")] = ArrayObject(
            [page.indirect_reference, NameObject("/Fit")]
        )
        writer.add_annotation(
            0,
            link(
                DictionaryObject(
                    {
                        NameObject("/S"): NameObject("/URI"),
                        NameObject("/URI"): TextStringObject("https://www.comune.caserta.it/"),
                    }
                )
            ),
        )

    assert check_document(pdf_bytes(build)) == PDF


# --- Refused: type, size, emptiness ----------------------------------------------------------


@pytest.mark.parametrize("executable", [ELF, PE], ids=["elf", "pe"])
async def test_an_executable_renamed_pdf_is_refused_whatever_its_declared_type(executable: bytes) -> None:
    body = body_of(part("identity_document", executable, "carta_identita.pdf", "application/pdf"))

    errors = await refusal(body)

    code, message = errors["identity_document"]
    assert code == "file_type_not_allowed"
    assert message == "Documento d'identità: formato non ammesso. Sono ammessi solo file PDF, JPEG o PNG."


async def test_a_text_file_is_refused() -> None:
    body = body_of(
        part("identity_document", b"Dichiaro di essere residente.\n" * 20, "dichiarazione.pdf", PDF)
    )

    assert await codes(body) == {"identity_document": "file_type_not_allowed"}


async def test_a_type_outside_the_rules_kinds_is_refused_and_named() -> None:
    only_pdf = UploadRule("identity_document", "Documento d'identità", kinds=frozenset({PDF}))
    body = body_of(part("identity_document", image_bytes("PNG"), "carta.pdf", PDF))

    errors = await refusal(body, [only_pdf])

    assert errors["identity_document"] == (
        "file_type_not_allowed",
        "Documento d'identità: formato non ammesso. Sono ammessi solo file PDF.",
    )


async def test_an_empty_file_is_refused() -> None:
    body = body_of(part("identity_document", b"", "carta.pdf", PDF))

    assert await codes(body) == {"identity_document": "file_empty"}


async def test_a_missing_required_file_is_refused() -> None:
    body = body_of(part("plate", b"CE123AB"))

    errors = await refusal(body, [IDENTITY, ATTESTATION], ["plate"])

    assert errors == {"identity_document": ("file_required", "Documento d'identità: il file è obbligatorio.")}


def oversize_body(total: int) -> Iterator[bytes]:
    """A multipart body with one PDF-looking file of ``total`` bytes, made as it is read."""
    yield part("identity_document", b"", "grande.pdf", PDF)[:-2]  # headers, then the data
    yield b"%PDF-1.7\n" + bytes(CHUNK - 9)
    for _ in range(total // CHUNK - 1):
        yield bytes(CHUNK)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


async def test_an_11_mb_file_is_refused_while_it_streams() -> None:
    total = 11 * 1024 * 1024
    # No Content-Length (a chunked upload): only counting while reading can stop it.
    request, feed = request_of(oversize_body(total))

    with pytest.raises(Invalid) as caught:
        await read_multipart(request, [IDENTITY])

    [error] = caught.value.errors
    assert (error.field, error.code) == ("identity_document", "file_too_large")
    assert error.message == "Documento d'identità: il file supera la dimensione massima di 10 MB."
    # Reading stopped within a chunk of the limit, a megabyte before the end of the body.
    assert DEFAULT_MAX_BYTES < feed.consumed <= DEFAULT_MAX_BYTES + 2 * CHUNK
    assert feed.consumed < total


async def test_a_smaller_configured_limit_applies_to_its_field() -> None:
    small = UploadRule("identity_document", "Documento d'identità", max_bytes=1000)
    body = body_of(part("identity_document", image_bytes("JPEG", (200, 200)), "carta.jpg"))

    errors = await refusal(body, [small])

    assert errors["identity_document"] == (
        "file_too_large",
        "Documento d'identità: il file supera la dimensione massima di 1000 byte.",
    )


async def test_a_declared_length_beyond_every_limit_is_refused_before_reading() -> None:
    request, feed = request_of(oversize_body(50 * 1024 * 1024), content_length=50 * 1024 * 1024)

    with pytest.raises(Invalid) as caught:
        await read_multipart(request, [IDENTITY])

    assert [(e.field, e.code) for e in caught.value.errors] == [("body", "body_too_large")]
    assert feed.consumed == 0


# --- Refused: PDFs -----------------------------------------------------------------------------


def test_an_encrypted_pdf_is_refused() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    writer.encrypt(user_password="segreta", owner_password="proprietario", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)

    with pytest.raises(DocumentRefused) as caught:
        check_document(out.getvalue())

    assert caught.value.code == "pdf_encrypted"


def action(kind: str, **entries: object) -> DictionaryObject:
    value = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, item in entries.items():
        value[NameObject(f"/{key}")] = item  # type: ignore[assignment]
    return value


def link(target: DictionaryObject) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject(
                [NumberObject(10), NumberObject(10), NumberObject(100), NumberObject(30)]
            ),
            NameObject("/A"): target,
        }
    )


def _open_with(target: DictionaryObject):  # noqa: ANN202
    def build(writer: PdfWriter, page) -> None:  # noqa: ANN001
        writer.root_object[NameObject("/OpenAction")] = target

    return build


def _js_in_names_tree(writer: PdfWriter, page) -> None:  # noqa: ANN001
    script = action("/JavaScript", JS=TextStringObject("app.alert('ciao');"))
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("saluto"), script])})
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})


def _attachment(writer: PdfWriter, page) -> None:  # noqa: ANN001
    writer.add_attachment("istruzioni.exe", b"MZ\x90\x00")


def _page_additional_action(writer: PdfWriter, page) -> None:  # noqa: ANN001
    page[NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): action("/URI", URI=TextStringObject("https://x.example/"))}
    )


def _launch_link(writer: PdfWriter, page) -> None:  # noqa: ANN001
    writer.add_annotation(0, link(action("/Launch", F=TextStringObject("C:\\Windows\\System32\\calc.exe"))))


def _file_link(writer: PdfWriter, page) -> None:  # noqa: ANN001
    writer.add_annotation(
        0, link(action("/URI", URI=TextStringObject("file:///C:/Windows/System32/calc.exe")))
    )


def _remote_goto_link(writer: PdfWriter, page) -> None:  # noqa: ANN001
    target = action(
        "/GoToR",
        F=TextStringObject("\\\\server\\share\\x.pdf"),
        D=ArrayObject([NumberObject(0), NameObject("/Fit")]),
    )
    writer.add_annotation(0, link(target))


def _js_in_outline(writer: PdfWriter, page) -> None:  # noqa: ANN001
    item = writer.add_outline_item(title="Indice", page_number=0).get_object()
    item[NameObject("/A")] = action("/JavaScript", JS=TextStringObject("this.print();"))


def _xfa_form(writer: PdfWriter, page) -> None:  # noqa: ANN001
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): TextStringObject("<xdp:xdp/>")}
    )


@pytest.mark.parametrize(
    "build",
    [
        _open_with(action("/JavaScript", JS=TextStringObject("app.alert('ciao');"))),
        _open_with(action("/URI", URI=TextStringObject("https://x.example/"))),
        _js_in_names_tree,
        _attachment,
        _page_additional_action,
        _launch_link,
        _file_link,
        _remote_goto_link,
        _js_in_outline,
        _xfa_form,
    ],
    ids=[
        "javascript-open-action",
        "web-address-opened-on-opening",
        "javascript-names-tree",
        "embedded-file",
        "page-additional-action",
        "launch-link",
        "local-file-link",
        "remote-goto-link",
        "javascript-in-outline",
        "xfa-form",
    ],
)
async def test_a_pdf_with_active_content_is_refused(build) -> None:  # noqa: ANN001
    body = body_of(part("identity_document", pdf_bytes(build), "carta.pdf", PDF))

    errors = await refusal(body)

    code, message = errors["identity_document"]
    assert code == "pdf_active_content"
    assert message.startswith("Documento d'identità: il PDF contiene script")


async def test_garbage_behind_a_pdf_signature_is_refused_as_unreadable() -> None:
    body = body_of(part("identity_document", b"%PDF-1.7\n" + ELF * 3, "carta.pdf", PDF))

    assert await codes(body) == {"identity_document": "pdf_unreadable"}


# --- Refused: images ---------------------------------------------------------------------------


async def test_a_png_with_truncated_pixel_data_is_refused() -> None:
    # Well-formed chunks with valid checksums, far too few pixels: only decoding them shows it.
    truncated = png_with_idat(image_bytes("PNG"), zlib.compress(b"\x00" * 10))
    body = body_of(part("identity_document", truncated, "carta.png", PNG))

    assert await codes(body) == {"identity_document": "image_unreadable"}


async def test_a_png_with_a_broken_checksum_is_refused() -> None:
    # The pixels decode, but the file was damaged: only verifying the structure shows it.
    good = image_bytes("PNG")
    offset, length, _ = next(c for c in png_chunks(good) if c[2] == b"IDAT")
    broken = png_with_idat(good, good[offset + 8 : offset + 8 + length], crc=0)
    body = body_of(part("identity_document", broken, "carta.png", PNG))

    assert await codes(body) == {"identity_document": "image_unreadable"}


async def test_a_cut_off_jpeg_is_refused() -> None:
    jpeg = Image.effect_noise((300, 300), 60).convert("RGB")
    out = io.BytesIO()
    jpeg.save(out, "JPEG")
    body = body_of(part("identity_document", out.getvalue()[: out.tell() // 2], "carta.jpg", JPEG))

    assert await codes(body) == {"identity_document": "image_unreadable"}


@pytest.mark.parametrize("side", [40, 100], ids=["where-pillow-only-warns", "where-pillow-refuses"])
async def test_an_image_with_more_pixels_than_pillow_allows_is_refused(side: int, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 40×40 is above it, 100×100 above twice it
    body = body_of(part("identity_document", image_bytes("PNG", (side, side)), "carta.png", PNG))

    assert await codes(body) == {"identity_document": "image_unreadable"}


# --- Refused: the form itself ------------------------------------------------------------------


async def test_several_errors_are_reported_together_in_the_forms_order() -> None:
    encrypted = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    encrypted.encrypt(user_password="segreta", algorithm="RC4-128")
    out = io.BytesIO()
    encrypted.write(out)
    body = body_of(
        part("availability_attestation", out.getvalue(), "attestazione.pdf", PDF),
        part("plate", b"X" * 200),
        part("registration_document", ELF, "libretto.pdf", PDF),
    )

    errors = await codes(body, [IDENTITY, REGISTRATION, ATTESTATION], ["plate"], max_field_bytes=100)

    assert list(errors.items()) == [
        ("identity_document", "file_required"),
        ("registration_document", "file_type_not_allowed"),
        ("availability_attestation", "pdf_encrypted"),
        ("plate", "string_too_long"),
    ]


async def test_an_unexpected_file_and_a_file_sent_twice_are_refused() -> None:
    pdf = pdf_bytes()
    body = body_of(
        part("identity_document", pdf, "a.pdf", PDF),
        part("identity_document", pdf, "b.pdf", PDF),
        part("script", pdf, "c.pdf", PDF),
    )

    assert await codes(body) == {"identity_document": "duplicate_part", "script": "file_not_expected"}


async def test_text_fields_the_route_does_not_name_are_ignored_and_bad_text_refused() -> None:
    body = body_of(
        part("identity_document", pdf_bytes(), "carta.pdf"),
        part("role", b"admin"),
        part("plate", b"CE\x00123AB"),
        part("notes", b"\xff\xfe"),
    )

    assert await codes(body, fields=["plate", "notes"]) == {"plate": "invalid_text", "notes": "invalid_text"}


async def test_a_body_that_is_not_multipart_is_refused() -> None:
    request, _ = request_of(b'{"identity_document": "x"}', content_type="application/json")

    with pytest.raises(Invalid) as caught:
        await read_multipart(request, [IDENTITY])

    assert [(e.field, e.code) for e in caught.value.errors] == [("body", "not_multipart")]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\n".encode(),
        part("identity_document", pdf_bytes(), "carta.pdf"),  # no closing boundary
        b"not a multipart body at all",
    ],
    ids=["empty", "part-without-name", "cut-off", "garbage"],
)
async def test_a_malformed_multipart_body_is_refused(body: bytes) -> None:
    assert await codes(body) == {"body": "not_multipart"}


# --- File names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\x\\y.pdf", "y.pdf"),
        ("..\\..\\windows\\win.ini", "win.ini.pdf"),
        ("carta\x00.exe.pdf", "carta.exe.pdf"),
        ("/", "documento.pdf"),
        ("..", "documento.pdf"),
        ("Carta d'identità – fronte.pdf", "Carta d'identità – fronte.pdf"),
        ("x" * 500 + ".pdf", "x" * 146 + ".pdf"),
    ],
)
async def test_path_tricks_in_file_names_are_sanitised(sent: str, kept: str) -> None:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="identity_document"; filename="{sent}"\r\n\r\n'
    )
    body = head.encode() + pdf_bytes() + f"\r\n--{BOUNDARY}--\r\n".encode()
    request, _ = request_of(body)

    upload = await read_multipart(request, [IDENTITY])

    assert upload.documents["identity_document"].filename == kept


@pytest.mark.parametrize(
    ("sent", "kind", "kept"),
    [
        ("carta\n\r.pdf", PDF, "carta.pdf"),
        ("\u202egnp.exe", PNG, "gnp.exe.png"),  # a right-to-left override that hides ".exe"
        ("foto.JPEG", JPEG, "foto.JPEG"),
        ("foto.png", JPEG, "foto.png.jpg"),
        ("ricevuta.html", PDF, "ricevuta.html.pdf"),
        ("a<b>c:d|e?f*.pdf", PDF, "a_b_c_d_e_f_.pdf"),
        ("", PDF, "documento.pdf"),
        ("  .pdf  ", PDF, "pdf.pdf"),
        ("é" * 300 + ".jpeg", JPEG, "é" * 145 + ".jpeg"),
    ],
)
def test_safe_filename(sent: str, kind: str, kept: str) -> None:
    assert safe_filename(sent, kind) == kept
    assert 0 < len(safe_filename(sent, kind)) <= 150


# --- Through an application --------------------------------------------------------------------


def upload_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    rules, fields = [IDENTITY, ATTESTATION], ["plate"]

    @app.post("/requests", openapi_extra=multipart_openapi(rules, fields))
    async def create(request: Request) -> dict[str, object]:
        upload = await read_multipart(request, rules, fields)
        return {
            "plate": upload.fields.get("plate"),
            "documents": {name: [d.filename, d.content_type, d.size] for name, d in upload.documents.items()},
        }

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=upload_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_route_answers_refusals_with_a_422_problem_listing_every_error(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/requests",
        data={"plate": "CE123AB"},
        files={"availability_attestation": ("a.pdf", b"#!/bin/sh\nrm -rf /\n", PDF)},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("identity_document", "file_required"),
        ("availability_attestation", "file_type_not_allowed"),
    ]


async def test_a_route_receives_an_upload_from_a_client(client: httpx.AsyncClient) -> None:
    png = image_bytes("PNG")
    response = await client.post(
        "/requests",
        data={"plate": " CE123AB "},
        files={"identity_document": ("../carta.png", png, "image/png")},
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "plate": "CE123AB",
        "documents": {"identity_document": ["carta.png", PNG, len(png)]},
    }


def test_the_openapi_document_shows_the_form() -> None:
    body = upload_app().openapi()["paths"]["/requests"]["post"]["requestBody"]

    form = body["content"]["multipart/form-data"]
    assert form["schema"]["required"] == ["identity_document"]
    assert form["schema"]["properties"]["identity_document"]["format"] == "binary"
    assert form["schema"]["properties"]["plate"] == {"type": "string"}
    assert form["encoding"]["identity_document"]["contentType"] == "application/pdf, image/jpeg, image/png"


# --- Storing -------------------------------------------------------------------------------------

metadata = MetaData()
documents = documents_table(metadata)
store = DatabaseDocumentStore(documents)


def received(content: bytes | None = None, filename: str = "carta.pdf") -> ReceivedDocument:
    content = pdf_bytes() if content is None else content
    return ReceivedDocument(
        field="identity_document",
        filename=filename,
        content_type=PDF,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


@pytest.fixture(scope="module")
async def db(make_database) -> AsyncIterator[Database]:  # noqa: ANN001
    url = await make_database("documents")
    await create_tables(url, metadata)
    database = Database(url)
    yield database
    await database.dispose()


async def count_documents(db: Database) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(documents))).scalar_one()  # type: ignore[call-overload]


async def test_a_saved_document_reads_back_with_its_details_after_commit(db: Database) -> None:
    document, owner = received(), uuid.uuid4()
    async with db.session() as session:
        saved = await store.save(session, document, owner_id=owner)
        await session.commit()

    async with db.session() as session:
        info = await store.info(session, saved.id)
        content = await store.content(session, saved.id)

    assert info == saved
    assert (info.owner_id, info.field, info.filename, info.content_type) == (
        owner,
        "identity_document",
        "carta.pdf",
        PDF,
    )
    assert (info.size, info.sha256) == (document.size, document.sha256)
    assert info.created_at.tzinfo is not None
    assert content == document.content


async def test_a_rolled_back_request_leaves_no_document(db: Database) -> None:
    before = await count_documents(db)
    async with db.session() as session:
        saved = await store.save(session, received(), owner_id=uuid.uuid4())
        assert await store.info(session, saved.id) is not None  # written in the transaction
        await session.rollback()

    async with db.session() as session:
        assert await store.info(session, saved.id) is None
        assert await store.content(session, saved.id) is None
    assert await count_documents(db) == before


async def test_only_the_owner_and_operators_can_fetch_a_document(db: Database) -> None:
    owner = uuid.uuid4()
    async with db.session() as session:
        saved = await store.save(session, received(), owner_id=owner)
        await session.commit()

    async with db.session() as session:
        for viewer in (
            Principal(owner, "citizen"),
            Principal(uuid.uuid4(), "operator"),
            Principal(uuid.uuid4(), "admin"),
        ):
            info, content = await fetch_document(store, session, saved.id, viewer)
            assert info.id == saved.id and content.startswith(b"%PDF")
        for document_id in (saved.id, uuid.uuid4()):
            with pytest.raises(NotFound):
                await fetch_document(store, session, document_id, Principal(uuid.uuid4(), "citizen"))


async def test_the_migration_operations_build_exactly_the_documents_table(make_database) -> None:  # noqa: ANN001
    engine = create_async_engine(await make_database("documents_migration"))

    def migrate_and_compare(connection) -> tuple[list, list[str]]:  # noqa: ANN001
        with Operations.context(MigrationContext.configure(connection)):
            create_documents_table()
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, metadata)
        with Operations.context(MigrationContext.configure(connection)):
            drop_documents_table()
        return differences, inspect(connection).get_table_names()

    try:
        async with engine.begin() as connection:
            differences, left = await connection.run_sync(migrate_and_compare)
    finally:
        await engine.dispose()

    assert differences == []
    assert left == []


# --- Serving -------------------------------------------------------------------------------------


def stored(filename: str, content_type: str = PDF) -> StoredDocument:
    return StoredDocument(
        uuid.uuid4(),
        uuid.uuid4(),
        "identity_document",
        filename,
        content_type,
        3,
        "0" * 64,
        datetime.now(UTC),
    )


def test_a_document_is_served_as_a_download_that_browsers_neither_sniff_nor_run() -> None:
    response = document_response(stored("Carta d'identità – fronte.pdf"), b"%PDF")

    assert response.body == b"%PDF"
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-disposition"] == (
        'attachment; filename="Carta d\'identita _ fronte.pdf"; '
        "filename*=UTF-8''Carta%20d%27identit%C3%A0%20%E2%80%93%20fronte.pdf"
    )


@pytest.mark.parametrize(
    ("filename", "disposition"),
    [
        ('a"b\\c;%.png', "inline; filename=\"a_b_c__.png\"; filename*=UTF-8''a%22b%5Cc%3B%25.png"),
        (
            "身份证.png",
            "inline; filename=\"documento.png\"; filename*=UTF-8''%E8%BA%AB%E4%BB%BD%E8%AF%81.png",
        ),
    ],
)
def test_any_file_name_gives_a_valid_inline_disposition(filename: str, disposition: str) -> None:
    response = document_response(stored(filename, PNG), b"x", inline=True)

    assert response.headers["content-disposition"] == disposition
    assert response.headers["content-type"] == "image/png"


def decoded_png(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_an_image_preview_is_a_new_png_turned_as_the_camera_meant_it() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to display
    exif[0x010E] = "segreto nei metadati"  # image description
    jpeg = image_bytes("JPEG", (80, 40), exif=exif)

    preview = decoded_png(render_preview(jpeg, JPEG))

    assert preview.size == (40, 80)
    assert b"segreto" not in render_preview(jpeg, JPEG)
    assert page_count(jpeg, JPEG) == 1


def test_an_image_preview_is_shrunk_to_the_width_asked() -> None:
    png = image_bytes("PNG", (3000, 1000))

    assert decoded_png(render_preview(png, PNG, max_width=600)).size == (600, 200)


def test_a_pdf_preview_is_a_png_of_the_page() -> None:
    pytest.importorskip("pypdfium2")
    pdf = pdf_bytes(lambda writer, page: writer.add_blank_page(300, 400))

    preview = decoded_png(render_preview(pdf, PDF, max_width=600))

    assert preview.size == (600, 800)
    assert preview.convert("L").getpixel((300, 400)) < 50  # inside the black rectangle
    assert preview.convert("L").getpixel((5, 5)) > 200  # the white margin
    assert page_count(pdf, PDF) == 2
    assert (
        decoded_png(render_preview(pdf, PDF, page=2, max_width=600)).convert("L").getpixel((300, 400)) > 200
    )


@pytest.mark.parametrize(("kind", "page"), [(PDF, 3), (PDF, 0), (PNG, 2)])
def test_a_preview_of_a_page_that_does_not_exist_is_not_found(kind: str, page: int) -> None:
    if kind == PDF:
        pytest.importorskip("pypdfium2")
    content = pdf_bytes() if kind == PDF else image_bytes("PNG")

    with pytest.raises(NotFound):
        render_preview(content, kind, page=page)


def test_rules_refuse_kinds_that_are_not_documents() -> None:
    with pytest.raises(ValueError):
        UploadRule("x", "X", kinds=frozenset({"text/html"}))
    assert DOCUMENT_KINDS == {PDF, JPEG, PNG}


async def test_checks_run_off_the_event_loop() -> None:
    # A slow PDF check must not stall other requests: the loop keeps ticking while it runs.
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    big = pdf_bytes(lambda writer, page: [writer.add_blank_page(300, 400) for _ in range(300)])
    request, _ = request_of(body_of(part("identity_document", big, "carta.pdf")))
    task = asyncio.create_task(ticker())
    try:
        await read_multipart(request, [IDENTITY])
    finally:
        task.cancel()
    assert ticks > 1


def test_a_truncated_image_is_refused_even_after_weasyprint_made_pillow_lenient() -> None:
    """WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported, as it is in
    the services that print PDFs; the upload check must not inherit that leniency."""
    import weasyprint  # noqa: F401
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), (120, 30, 200)).save(buffer, "JPEG", quality=95)
    cut = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    with pytest.raises(DocumentRefused):
        check_document(cut, frozenset({JPEG}))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as WeasyPrint wants it
