"""Files sent with an e-mail (the invoice's PDF): what an event must carry for its file to be
attached, and the name the file gets. Pure: no database, no network."""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass, field

PDF = "application/pdf"
# An invoice is a few tens of kB; the limit keeps a broken producer from filling mailboxes.
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# What base64 takes to carry that many bytes, once whitespace is ignored.
_MAX_BASE64_CHARS = 4 * math.ceil(MAX_ATTACHMENT_BYTES / 3)
# A PDF ends with this marker, within its last kilobyte (where readers look for it): a file cut
# short on the way lacks it.
_PDF_END = b"%%EOF"
_PDF_TAIL_BYTES = 1024
MAX_FILENAME_CHARS = 100
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # maintype/subtype
    content: bytes = field(repr=False)


class InvalidAttachment(ValueError):
    """The event's file cannot be attached: no retry can change it, and sending the e-mail
    without it, or with a broken file, would tell the citizen something false. The message says
    what is wrong, never what the file holds."""


def pdf_attachment(filename: str, content_base64: str, *, fallback_name: str) -> Attachment:
    """The PDF that ``content_base64`` carries, or ``InvalidAttachment`` when it is not base64,
    not a whole PDF, or larger than ``MAX_ATTACHMENT_BYTES``. ``filename`` is made safe for
    any mail client (``fallback_name`` when nothing of it is left)."""
    compact = "".join(content_base64.split())  # line breaks of MIME-style base64 are harmless
    if len(compact) > _MAX_BASE64_CHARS:
        raise InvalidAttachment(f"the PDF is larger than {MAX_ATTACHMENT_BYTES} bytes")
    try:
        content = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidAttachment("the PDF is not valid base64") from exc
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidAttachment(f"the PDF is larger than {MAX_ATTACHMENT_BYTES} bytes")
    if not content.startswith(b"%PDF-"):
        raise InvalidAttachment("the file is not a PDF")
    if _PDF_END not in content[-_PDF_TAIL_BYTES:]:
        raise InvalidAttachment("the PDF is truncated (no end-of-file marker)")
    return Attachment(safe_pdf_filename(filename, fallback_name), PDF, content)


def safe_pdf_filename(filename: str, fallback_name: str) -> str:
    """ASCII letters, digits, ``.``, ``_`` and ``-`` only (anything else becomes ``_``), ending
    in ``.pdf``, at most ``MAX_FILENAME_CHARS``: every mail client shows and saves it as is."""
    for candidate in (filename, fallback_name):
        stem = _UNSAFE_FILENAME_CHARS.sub("_", candidate.strip())
        if stem.lower().endswith(".pdf"):
            stem = stem[:-4]
        stem = stem.strip("._-")[: MAX_FILENAME_CHARS - 4].rstrip("._-")
        if stem:
            return f"{stem}.pdf"
    return "documento.pdf"
