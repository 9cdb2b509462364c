"""Documents that citizens upload (PDF, JPEG, PNG): received, checked, stored, served.

Receiving (``read_multipart``): the multipart body is parsed as it arrives, each file is counted
and spooled while it streams, and reading stops the moment a file passes its limit. A file is
recognised by its content, never by its name or declared type, and is accepted only when it
also opens cleanly: a PDF not encrypted and without scripts, automatic actions or attachments,
an image whose pixels decode. Every refusal of a request is reported at once, in Italian, as
``kit.errors.Invalid`` (422 at the HTTP edge), and nothing of a refused request is kept.

Storing (``DocumentStore``): the service that owns the request writes its documents in its own
database, in the request's transaction. ``DatabaseDocumentStore`` keeps them in the table of
``documents_table``; an object-store implementation can take its place behind the same three
methods.

Serving: ``fetch_document`` lets only the owner and operators read a document,
``document_response`` sends it as a download that browsers neither sniff nor run, and
``render_preview`` turns a page or an image into a fresh PNG for the operator's console, so
that nothing of the uploaded file itself reaches the browser.

A route that receives documents declares no ``Form``/``File`` parameters (FastAPI would read
the whole body first): it takes ``request: Request``, awaits ``read_multipart`` and passes
``openapi_extra=multipart_openapi(rules, fields)`` so its OpenAPI shows the form.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import re
import threading
import unicodedata
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from tempfile import SpooledTemporaryFile
from typing import Any, Protocol

import filetype
from fastapi import Request, Response
from PIL import Image, ImageFile, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    insert,
    select,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from kit.errors import FieldError, Invalid, NotFound

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
DOCUMENT_KINDS = frozenset({PDF, JPEG, PNG})
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

MAX_FILENAME_CHARS = 150
MAX_FIELD_NAME_CHARS = 60
# filetype reads at most this many bytes of a file to recognise it.
SNIFF_BYTES = 8192
# A file stays in memory up to this size while it arrives, then goes to a temporary file.
SPOOL_MEMORY_BYTES = 1024 * 1024
# What a body may carry beyond its files and text fields: boundaries, part headers, fields the
# route ignores.
ENVELOPE_BYTES = 64 * 1024
# A PDF with more objects than this is refused rather than walked (a 10 MB file has far fewer).
MAX_PDF_OBJECTS = 500_000
# The tallest preview is this many times its width (a very long image is shrunk to fit).
PREVIEW_MAX_ASPECT = 2

_KIND_NAMES = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}
_EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",)}
_PILLOW_FORMATS = {JPEG: ("JPEG", "MPO"), PNG: ("PNG",)}  # MPO: the JPEG of many phone cameras
_BODY = "body"


# --- What a route accepts ------------------------------------------------------------------


@dataclass(frozen=True)
class UploadRule:
    """One file field of a form: what it may hold and how it is named to the citizen."""

    field: str  # multipart field name, e.g. "identity_document"
    label: str  # Italian, for messages: "Documento d'identità"
    required: bool = True
    max_bytes: int = DEFAULT_MAX_BYTES
    kinds: frozenset[str] = DOCUMENT_KINDS

    def __post_init__(self) -> None:
        if not self.field or len(self.field) > MAX_FIELD_NAME_CHARS:
            raise ValueError(f"field name must have 1 to {MAX_FIELD_NAME_CHARS} characters: {self.field!r}")
        if self.max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        if not self.kinds or not self.kinds <= DOCUMENT_KINDS:
            raise ValueError(f"kinds must be a non-empty subset of {sorted(DOCUMENT_KINDS)}")


@dataclass(frozen=True)
class ReceivedDocument:
    """A file that passed every check; ``content_type`` comes from its content."""

    field: str
    filename: str  # sanitised: base name only, extension matching the type, never empty
    content_type: str
    size: int
    sha256: str  # hex
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class Upload:
    fields: dict[str, str]  # the text fields named by the route, trimmed
    documents: dict[str, ReceivedDocument]  # by rule.field; missing optional ones absent


class DocumentRefused(Exception):
    """A file that is not an acceptable document; ``message`` is Italian, without the label."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- Recognising and checking a file -------------------------------------------------------


def sniff(head: bytes) -> str | None:
    """The MIME type that the first bytes of a file show (``None`` when unrecognised)."""
    kind = filetype.guess(head[:SNIFF_BYTES])
    return kind.mime if kind is not None else None


def allowed_kinds_message(kinds: frozenset[str]) -> str:
    names = [name for kind, name in _KIND_NAMES.items() if kind in kinds]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " o " + names[-1]
    return f"Sono ammessi solo file {listed}."


def check_document(content: bytes, kinds: frozenset[str] = DOCUMENT_KINDS) -> str:
    """The content type of an acceptable document, or ``DocumentRefused``.

    What ``read_multipart`` applies to each file, for documents that arrive another way.
    CPU-bound: call it through ``asyncio.to_thread`` from async code.
    """
    if not content:
        raise DocumentRefused("file_empty", "il file è vuoto.")
    content_type = sniff(content)
    if content_type not in kinds:
        raise DocumentRefused("file_type_not_allowed", "formato non ammesso. " + allowed_kinds_message(kinds))
    _check_content(content, content_type)
    return content_type


def _check_content(content: bytes, content_type: str) -> None:
    if content_type == PDF:
        _check_pdf(content)
    else:
        _check_image(content, content_type)


def _check_pdf(content: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        encrypted = reader.is_encrypted  # decrypting would be needed to look any further
        pages = 0 if encrypted else len(reader.pages)
        active = False if encrypted else _has_active_content(reader)
    except Exception as exc:  # anything a broken file makes the parser raise
        raise DocumentRefused("pdf_unreadable", "il PDF è danneggiato o non leggibile.") from exc
    if encrypted:
        raise DocumentRefused(
            "pdf_encrypted",
            "il PDF è protetto da password o cifrato. Carica una copia senza protezione.",
        )
    if pages < 1:
        raise DocumentRefused("pdf_unreadable", "il PDF non contiene pagine.")
    if active:
        raise DocumentRefused(
            "pdf_active_content",
            "il PDF contiene script, azioni automatiche o file allegati e non può essere accettato. "
            "Salvalo di nuovo come PDF semplice (per esempio con «Stampa» e «Salva come PDF») e riprova.",
        )


# Keys that only scripts, automatic actions, attachments or XFA forms use.
_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/AA", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent", "/RichMediaSettings"}
)
# Action types (/S) that run code, open or send files, or reach outside the document.
_ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/GoToR",
        "/GoToE",
        "/ImportData",
        "/SubmitForm",
        "/Rendition",
        "/RichMediaExecute",
    }
)
_ACTIVE_SUBTYPES = frozenset({"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"})
# Links to the web are fine; a link to a local or network file (file:, smb:) is not.
_SAFE_URI_PREFIXES = ("http://", "https://", "mailto:")


def _has_active_content(reader: PdfReader) -> bool:
    """Walk every object reachable from the trailer (catalogue, names trees, outlines, pages,
    annotations, forms) without decoding content streams: anything a viewer could act on is
    reachable from there."""
    stack: list[Any] = [reader.trailer]
    visited: set[tuple[int, int]] = set()
    budget = MAX_PDF_OBJECTS
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            reference = (node.idnum, node.generation)
            if reference in visited:
                continue
            visited.add(reference)
            node = node.get_object()
        budget -= 1
        if budget < 0:
            raise ValueError("too many objects")
        if isinstance(node, DictionaryObject):  # streams too: their dictionary, not their data
            for key, value in node.items():
                if key in _ACTIVE_KEYS:
                    return True
                if key in ("/S", "/Subtype", "/Type", "/OpenAction", "/URI"):
                    resolved = value.get_object() if isinstance(value, IndirectObject) else value
                    if key == "/S" and resolved in _ACTIVE_ACTIONS:
                        return True
                    if key == "/Subtype" and resolved in _ACTIVE_SUBTYPES:
                        return True
                    if key == "/Type" and resolved == "/EmbeddedFile":
                        return True
                    # Opening at a page is harmless; any other action on opening is not.
                    if key == "/OpenAction" and isinstance(resolved, DictionaryObject):
                        if resolved.get("/S") != "/GoTo":
                            return True
                    if key == "/URI" and isinstance(resolved, str | bytes):
                        uri = resolved.decode("latin-1") if isinstance(resolved, bytes) else resolved
                        if not uri.strip().lower().startswith(_SAFE_URI_PREFIXES):
                            return True
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


def _check_pixels(image: Image.Image) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    # Pillow only warns between its limit and twice it: refuse there too (a decompression bomb
    # must not be decoded), without touching the process-wide warning filters.
    if limit and image.width * image.height > limit:
        raise DocumentRefused(
            "image_unreadable",
            f"l'immagine ha troppi pixel (al massimo {limit // 1_000_000} milioni).",
        )


_DECODING = threading.Lock()


@contextlib.contextmanager
def _strict_decoding() -> Iterator[None]:
    """Truncated pixel data refused while an upload is decoded. WeasyPrint, imported by the
    services that print PDFs, sets Pillow's process-wide LOAD_TRUNCATED_IMAGES on import, which
    would let a cut-off image through here."""
    with _DECODING:
        lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _check_image(content: bytes, content_type: str) -> None:
    formats = _PILLOW_FORMATS[content_type]
    try:
        # verify() checks the structure (PNG checksums) but decodes nothing; load() decodes
        # every pixel but skips checksums. Each catches what the other lets through.
        with Image.open(io.BytesIO(content), formats=formats) as image:
            _check_pixels(image)
            image.verify()
        with _strict_decoding(), Image.open(io.BytesIO(content), formats=formats) as image:
            image.load()
    except DocumentRefused:
        raise
    except Image.DecompressionBombError as exc:
        raise DocumentRefused("image_unreadable", "l'immagine ha troppi pixel.") from exc
    except Exception as exc:
        raise DocumentRefused("image_unreadable", "l'immagine è danneggiata o non leggibile.") from exc


# --- File names ------------------------------------------------------------------------------

_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_RESERVED_CHARS = frozenset('<>:"|?*')


def safe_filename(raw: str, content_type: str) -> str:
    """The base name of what the client sent, safe to store and to offer for download.

    No directories (``/`` or ``\\``), no control, format or bidirectional characters, no
    characters that Windows refuses, at most ``MAX_FILENAME_CHARS``, never empty, and an
    extension that matches the content (``ricevuta.html`` holding a PDF becomes
    ``ricevuta.html.pdf``, so that a saved copy never opens as something else).
    """
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        "_" if ch in _RESERVED_CHARS else " " if unicodedata.category(ch) == "Zs" else ch
        for ch in name
        if unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    name = re.sub(r" {2,}", " ", name).strip(" .")
    extensions = _EXTENSIONS[content_type]
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and f".{suffix.lower()}" in extensions:
        extension = f".{suffix}"
    else:
        stem, extension = name, extensions[0]
    stem = stem[: MAX_FILENAME_CHARS - len(extension)].rstrip(" .") or "documento"
    return stem + extension


# --- Reading a multipart body ----------------------------------------------------------------


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.3g} KB".replace(".", ",")
    return f"{size} byte"


class _Stop(Exception):
    """Stop reading the body: what was read says enough to refuse it."""


@dataclass(eq=False)
class _Part:
    name: str
    rule: UploadRule | None = None
    filename: str | None = None  # None: a text part
    keep: bool = True  # False: read past its data (unknown, duplicate or already refused)
    size: int = 0
    data: bytearray = field(default_factory=bytearray)  # text parts, and a file's first bytes
    spool: SpooledTemporaryFile[bytes] | None = None
    hasher: Any = None
    content_type: str | None = None


class _FormReader:
    """The callbacks of python-multipart's streaming parser, and what they collect."""

    def __init__(self, rules: Sequence[UploadRule], fields: Sequence[str], max_field_bytes: int) -> None:
        self.rules = {rule.field: rule for rule in rules}
        self.wanted = set(fields)
        self.max_field_bytes = max_field_bytes
        self.max_parts = 2 * (len(rules) + len(fields)) + 16
        self.errors: dict[str, FieldError] = {}
        self.texts: dict[str, str] = {}
        self.files: dict[str, _Part] = {}
        self.received: set[str] = set()
        self.spools: list[SpooledTemporaryFile[bytes]] = []
        self.parts = 0
        self.finished = False
        self.part = _Part("")
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.disposition = b""

    def refuse(self, name: str, code: str, message: str) -> None:
        self.errors.setdefault(name, FieldError(name, code, message))

    def refuse_file(self, part: _Part, code: str, message: str) -> None:
        assert part.rule is not None
        self.refuse(part.name, code, f"{part.rule.label}: {message}")
        part.keep = False
        if part.spool is not None:
            part.spool.close()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > self.max_parts:
            self.refuse(_BODY, "too_many_parts", "Il modulo contiene troppi campi.")
            raise _Stop
        self.disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self.header_name).strip().lower() == b"content-disposition":
            self.disposition = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        kind, options = parse_options_header(self.disposition)
        if kind != b"form-data" or not options.get(b"name"):
            self.refuse(_BODY, "not_multipart", _MALFORMED)
            raise _Stop
        # Printable and short: the name is echoed in the errors.
        name = "".join(ch for ch in _decode(options[b"name"]) if ch.isprintable())[:MAX_FIELD_NAME_CHARS]
        part = self.part = _Part(name)
        if b"filename" in options:  # the client's part Content-Type is never looked at
            part.filename = _decode(options[b"filename"])
            part.rule = self.rules.get(name)
            if part.rule is None:
                self.refuse(name, "file_not_expected", "Questo file non è previsto.")
                part.keep = False
            elif name in self.received:
                self.refuse(name, "duplicate_part", f"{part.rule.label}: è stato inviato più di un file.")
                part.keep = False
            else:
                self.received.add(name)
                part.spool = SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)
                self.spools.append(part.spool)
                part.hasher = hashlib.sha256()
        elif name in self.wanted:
            if name in self.received:
                self.refuse(name, "duplicate_part", "Il campo è stato inviato più di una volta.")
                part.keep = False
            self.received.add(name)
        else:  # a text field the route does not read
            part.keep = False

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        chunk = data[start:end]
        part.size += len(chunk)
        if part.filename is None:
            if part.keep and part.size > self.max_field_bytes:
                self.refuse(part.name, "string_too_long", "Il testo è troppo lungo.")
                part.keep = False
            if part.keep:
                part.data += chunk
            return
        if part.rule is None:
            return
        if part.size > part.rule.max_bytes:
            if part.keep:
                self.refuse_file(
                    part,
                    "file_too_large",
                    f"il file supera la dimensione massima di {_size_text(part.rule.max_bytes)}.",
                )
            raise _Stop  # never read a file past its limit, whatever was wrong with it before
        if not part.keep:
            return
        assert part.spool is not None
        part.spool.write(chunk)
        part.hasher.update(chunk)
        if part.content_type is None:
            part.data += chunk[: SNIFF_BYTES - len(part.data)]
            if len(part.data) >= SNIFF_BYTES:
                self.recognise(part)

    def recognise(self, part: _Part) -> None:
        """Sniff the file as soon as its first bytes are in: a wrong type is refused without
        spooling the rest."""
        assert part.rule is not None
        content_type = sniff(bytes(part.data))
        if content_type not in part.rule.kinds:
            self.refuse_file(
                part,
                "file_type_not_allowed",
                "formato non ammesso. " + allowed_kinds_message(part.rule.kinds),
            )
        else:
            part.content_type = content_type
        part.data = bytearray()

    def on_part_end(self) -> None:
        part = self.part
        if part.filename is None:
            if part.keep and part.name in self.wanted:
                try:
                    text = bytes(part.data).decode("utf-8")
                except UnicodeDecodeError:
                    self.refuse(part.name, "invalid_text", "Il testo non è in UTF-8.")
                    return
                if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
                    self.refuse(part.name, "invalid_text", "Il testo contiene caratteri non validi.")
                    return
                self.texts[part.name] = text.strip()
            return
        if not part.keep:
            return
        assert part.spool is not None
        if part.size == 0:
            if part.filename == "":  # what a browser sends for a file input left empty
                self.received.discard(part.name)
                part.spool.close()
                return
            self.refuse_file(part, "file_empty", "il file è vuoto.")
            return
        if part.content_type is None:
            self.recognise(part)
        if part.keep:
            self.files[part.name] = part

    def on_end(self) -> None:
        self.finished = True


_MALFORMED = "Il modulo inviato non è leggibile: non è un multipart/form-data valido."


def _decode(raw: bytes) -> str:
    # Browsers send names in UTF-8; the parser hands back the bytes as they came.
    return raw.decode("utf-8", errors="replace")


def _body_budget(rules: Sequence[UploadRule], fields: Sequence[str], max_field_bytes: int) -> int:
    return sum(rule.max_bytes for rule in rules) + len(fields) * max_field_bytes + ENVELOPE_BYTES


def _finish_file(part: _Part) -> tuple[bytes | None, DocumentRefused | None]:
    """Read a received file back and check what it holds (in a worker thread)."""
    assert part.spool is not None and part.content_type is not None
    part.spool.seek(0)
    content = part.spool.read()
    try:
        _check_content(content, part.content_type)
    except DocumentRefused as refusal:
        return None, refusal
    return content, None


async def read_multipart(
    request: Request,
    rules: Sequence[UploadRule],
    fields: Sequence[str] = (),
    *,
    max_field_bytes: int = 4096,
) -> Upload:
    """Read a ``multipart/form-data`` body as it streams and return its checked documents.

    Every refusal of the body is collected and raised together as ``Invalid``; when a file
    passes its limit, reading stops there and what was refused up to then is reported (a
    required file that would have come later is not reported missing). Text fields that
    ``fields`` does not name are read past and ignored.
    """
    names = [rule.field for rule in rules] + list(fields)
    if len(set(names)) != len(names):
        raise ValueError(f"field names must be unique: {names}")
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise Invalid(
            [FieldError(_BODY, "not_multipart", "La richiesta deve essere un modulo multipart/form-data.")]
        )
    budget = _body_budget(rules, fields, max_field_bytes)
    too_large = FieldError(
        _BODY,
        "body_too_large",
        f"La richiesta supera la dimensione massima consentita ({_size_text(budget)} in tutto).",
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > budget:
        raise Invalid([too_large])

    reader = _FormReader(rules, fields, max_field_bytes)
    try:
        try:
            parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
        except (FormParserError, ValueError):
            raise Invalid([FieldError(_BODY, "not_multipart", _MALFORMED)]) from None
        stopped = False
        received = 0
        async with contextlib.aclosing(request.stream()) as stream:
            async for chunk in stream:
                received += len(chunk)
                try:
                    # Parsed first: a file past its own limit is the more precise refusal.
                    parser.write(chunk)
                    if received > budget:
                        reader.errors.setdefault(_BODY, too_large)
                        raise _Stop
                except _Stop:
                    stopped = True
                    break
                except FormParserError:
                    reader.refuse(_BODY, "not_multipart", _MALFORMED)
                    stopped = True
                    break
                if reader.finished:
                    break
        if not stopped:
            if not reader.finished:  # the body ended before its closing boundary
                reader.refuse(_BODY, "not_multipart", _MALFORMED)
            else:
                for rule in rules:
                    if rule.required and rule.field not in reader.files and rule.field not in reader.errors:
                        reader.refuse(rule.field, "file_required", f"{rule.label}: il file è obbligatorio.")

        documents: dict[str, ReceivedDocument] = {}
        for name, part in reader.files.items():
            if name in reader.errors:
                continue
            content, refusal = await asyncio.to_thread(_finish_file, part)
            if refusal is not None:
                reader.refuse_file(part, refusal.code, refusal.message)
                continue
            assert content is not None and part.content_type is not None and part.filename is not None
            documents[name] = ReceivedDocument(
                field=name,
                filename=safe_filename(part.filename, part.content_type),
                content_type=part.content_type,
                size=part.size,
                sha256=part.hasher.hexdigest(),
                content=content,
            )
    finally:
        for spool in reader.spools:
            spool.close()

    if reader.errors:
        order = {name: position for position, name in enumerate([_BODY, *names])}
        errors = sorted(reader.errors.values(), key=lambda error: order.get(error.field, len(order)))
        raise Invalid(errors)
    return Upload(
        fields={name: reader.texts[name] for name in fields if name in reader.texts}, documents=documents
    )


def multipart_openapi(rules: Sequence[UploadRule], fields: Sequence[str] = ()) -> dict[str, Any]:
    """The ``openapi_extra`` of a route that calls ``read_multipart``: its form in OpenAPI."""
    properties: dict[str, Any] = {name: {"type": "string"} for name in fields}
    for rule in rules:
        kinds = ", ".join(name for kind, name in _KIND_NAMES.items() if kind in rule.kinds)
        properties[rule.field] = {
            "type": "string",
            "format": "binary",
            "title": rule.label,
            "description": f"{rule.label}: {kinds}, al massimo {_size_text(rule.max_bytes)}.",
        }
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = [rule.field for rule in rules if rule.required]
    if required:
        schema["required"] = required
    encoding = {rule.field: {"contentType": ", ".join(sorted(rule.kinds))} for rule in rules}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema, "encoding": encoding}},
        }
    }


# --- Storing ---------------------------------------------------------------------------------


def documents_table(metadata: MetaData) -> Table:
    """The documents of a service, in its own database (``kit.migrations.create_documents_table``)."""
    return Table(
        "documents",
        metadata,
        Column("id", Uuid, primary_key=True),
        # The citizen the document belongs to: with operators, the only one who may read it.
        Column("owner_id", Uuid, nullable=False, index=True),
        Column("field", String(60), nullable=False),
        Column("filename", String(150), nullable=False),
        Column("content_type", String(60), nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("content", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


@dataclass(frozen=True)
class StoredDocument:
    id: uuid.UUID
    owner_id: uuid.UUID
    field: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class DocumentStore(Protocol):
    """Where a service keeps its documents, in the caller's transaction: what ``save`` wrote
    is there when that transaction commits and gone when it rolls back."""

    async def save(
        self, session: AsyncSession, document: ReceivedDocument, *, owner_id: uuid.UUID
    ) -> StoredDocument: ...

    async def info(self, session: AsyncSession, document_id: uuid.UUID) -> StoredDocument | None: ...

    async def content(self, session: AsyncSession, document_id: uuid.UUID) -> bytes | None: ...


class DatabaseDocumentStore:
    """Documents as rows of ``documents_table`` (content as bytea); never commits."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._info_columns = [column for column in table.c if column.name != "content"]

    async def save(
        self, session: AsyncSession, document: ReceivedDocument, *, owner_id: uuid.UUID
    ) -> StoredDocument:
        values = {
            "id": uuid.uuid4(),
            "owner_id": owner_id,
            "field": document.field,
            "filename": document.filename,
            "content_type": document.content_type,
            "size": document.size,
            "sha256": document.sha256,
        }
        statement = insert(self.table).values(**values, content=document.content)
        result = await session.exec(statement.returning(self.table.c.created_at))  # type: ignore[call-overload]
        return StoredDocument(**values, created_at=result.scalar_one())

    async def info(self, session: AsyncSession, document_id: uuid.UUID) -> StoredDocument | None:
        statement = select(*self._info_columns).where(self.table.c.id == document_id)
        row = (await session.exec(statement)).one_or_none()  # type: ignore[call-overload]
        return StoredDocument(**row._mapping) if row is not None else None

    async def content(self, session: AsyncSession, document_id: uuid.UUID) -> bytes | None:
        statement = select(self.table.c.content).where(self.table.c.id == document_id)
        return (await session.exec(statement)).scalar_one_or_none()  # type: ignore[call-overload]


# --- Serving ---------------------------------------------------------------------------------

DOCUMENT_NOT_FOUND = ("document_not_found", "Il documento richiesto non esiste.")


async def fetch_document(
    store: DocumentStore, session: AsyncSession, document_id: uuid.UUID, viewer: Principal
) -> tuple[StoredDocument, bytes]:
    """A document and its content for its owner or an operator; ``NotFound`` for anyone else,
    as for a document that does not exist (its existence is not disclosed)."""
    info = await store.info(session, document_id)
    if info is None or not (viewer.is_staff or info.owner_id == viewer.user_id):
        raise NotFound(*DOCUMENT_NOT_FOUND)
    content = await store.content(session, document_id)
    if content is None:
        raise NotFound(*DOCUMENT_NOT_FOUND)
    return info, content


# Nothing served here may run: no scripts, no plugins, no frames, no sniffing, no caching.
_SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, no-store",
}


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """RFC 6266 ``Content-Disposition`` with an ASCII ``filename`` for old clients and an
    RFC 5987 ``filename*`` carrying the real name, whatever its characters."""
    ascii_name = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\%;' else "_"
        for ch in unicodedata.normalize("NFKD", filename)
        if not unicodedata.combining(ch)  # "à" keeps its "a"
    )
    stem, dot, suffix = ascii_name.rpartition(".")
    if not dot or not stem.strip(" _."):
        ascii_name = "documento" + (f".{suffix}" if dot else "")
    encoded = urllib.parse.quote(filename, safe="!#$&+^`|~")
    return f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"


def document_response(info: StoredDocument, content: bytes, *, inline: bool = False) -> Response:
    """The document as it was uploaded, with its checked type, as a download (or ``inline``)."""
    headers = {**_SAFE_HEADERS, "Content-Disposition": content_disposition(info.filename, inline=inline)}
    return Response(content, media_type=info.content_type, headers=headers)


def preview_response(png: bytes) -> Response:
    """A PNG of ``render_preview``, shown in the page, with the headers of a document."""
    return Response(png, media_type=PNG, headers={**_SAFE_HEADERS, "Content-Disposition": "inline"})


# --- Previews --------------------------------------------------------------------------------

# PDFium is not thread-safe: one rendering at a time in the process.
_PDFIUM_LOCK = threading.Lock()
PAGE_NOT_FOUND = ("page_not_found", "La pagina richiesta non esiste.")


def page_count(content: bytes, content_type: str) -> int:
    """The pages a preview can show: a PDF's pages, 1 for an image."""
    if content_type != PDF:
        return 1
    return len(PdfReader(io.BytesIO(content), strict=False).pages)


def render_preview(content: bytes, content_type: str, *, page: int = 1, max_width: int = 1200) -> bytes:
    """A PNG drawn from the document's pixels: an image decoded and encoded again (no metadata,
    rotated as the camera meant it), or a PDF page rasterised by PDFium with no scripts and no
    form code. At most ``max_width`` wide and twice that tall. ``NotFound`` for a page that
    does not exist. CPU-bound: call it through ``asyncio.to_thread`` from async code."""
    box = (max_width, PREVIEW_MAX_ASPECT * max_width)
    if page < 1:
        raise NotFound(*PAGE_NOT_FOUND)
    if content_type == PDF:
        image = _render_pdf_page(content, page, box)
    elif content_type in _PILLOW_FORMATS:
        if page != 1:
            raise NotFound(*PAGE_NOT_FOUND)
        image = _decode_image(content, content_type, box)
    else:
        raise ValueError(f"no preview for {content_type}")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _decode_image(content: bytes, content_type: str, box: tuple[int, int]) -> Image.Image:
    with Image.open(io.BytesIO(content), formats=_PILLOW_FORMATS[content_type]) as image:
        _check_pixels(image)
        if image.format in ("JPEG", "MPO"):
            side = max(box)
            image.draft("RGB", (side, side))  # decode a large photo at a reduced scale directly
        image.load()
        pixels = ImageOps.exif_transpose(image)
    if pixels.mode in ("I;16", "I;16B", "I;16L", "I"):
        pixels = pixels.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if pixels.mode == "P":
        pixels = pixels.convert("RGBA")
    if pixels.mode in ("RGBA", "LA", "PA"):
        flat = Image.new("RGB", pixels.size, "white")
        flat.paste(pixels.convert("RGBA"), mask=pixels.convert("RGBA").getchannel("A"))
        pixels = flat
    elif pixels.mode not in ("RGB", "L"):
        pixels = pixels.convert("RGB")
    pixels.thumbnail(box, Image.Resampling.LANCZOS)
    return pixels


def _render_pdf_page(content: bytes, page: int, box: tuple[int, int]) -> Image.Image:
    try:
        import pypdfium2 as pdfium  # PDF rasterising only: the rest of the module works without it
    except ImportError as exc:  # pragma: no cover - a deployment without the dependency
        raise RuntimeError("PDF previews need the pypdfium2 package") from exc
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(content)
        try:
            if page > len(document):
                raise NotFound(*PAGE_NOT_FOUND)
            pdf_page = document[page - 1]
            try:
                width, height = pdf_page.get_size()
                scale = min(box[0] / width, box[1] / height)
                # Forms are drawn only after init_forms(), which is never called here.
                bitmap = pdf_page.render(scale=scale, may_draw_forms=False)
                return bitmap.to_pil().convert("RGB")
            finally:
                pdf_page.close()
        finally:
            document.close()
