"""Files attached to e-mails (the invoice's PDF): what is accepted, the name it gets, and the
message the sender builds with it, without database, broker or SMTP."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from notifications.domain.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_FILENAME_CHARS,
    PDF,
    Attachment,
    InvalidAttachment,
    pdf_attachment,
    safe_pdf_filename,
)
from notifications.domain.emails import Composer, Recipient
from notifications.domain.messages import MessageKind
from notifications.models import Message
from notifications.sender import build_email
from notifications.settings import Settings

NOW = datetime(2027, 1, 2, 9, tzinfo=UTC)
MARIO = Recipient(uuid.uuid4(), "mario.rossi@example.it", "Mario", "Rossi")


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_a_pdf_in_base64_becomes_the_attachment_with_its_exact_bytes(invoice_pdf: bytes) -> None:
    attachment = pdf_attachment("fattura-2027-000012.pdf", b64(invoice_pdf), fallback_name="x.pdf")
    assert attachment == Attachment("fattura-2027-000012.pdf", PDF, invoice_pdf)


def test_base64_broken_into_lines_is_accepted(invoice_pdf: bytes) -> None:
    encoded = base64.encodebytes(invoice_pdf).decode()  # 76 characters a line, as MIME writes it
    assert "\n" in encoded
    assert pdf_attachment("f.pdf", encoded, fallback_name="x.pdf").content == invoice_pdf


@pytest.mark.parametrize(
    ("content_base64", "why"),
    [
        ("questo non è base64!", "not valid base64"),
        ("JVBERi0xLjcK%%%", "not valid base64"),
        (b64(b"%PDF-1.7\n")[:-2], "not valid base64"),  # padding cut off
        ("", "not a PDF"),
        (b64(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "not a PDF"),
        (b64(b"<html>%PDF-1.7</html>\n%%EOF"), "not a PDF"),
        (b64(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), "truncated"),
    ],
)
def test_a_file_that_is_not_a_whole_pdf_is_refused_saying_why_without_quoting_it(
    content_base64: str, why: str
) -> None:
    with pytest.raises(InvalidAttachment) as refused:
        pdf_attachment("fattura.pdf", content_base64, fallback_name="x.pdf")
    # The consumer logs the error: a short reason, never the file (personal data, megabytes).
    assert why in str(refused.value) and len(str(refused.value)) < 60


def test_a_pdf_cut_short_on_the_way_is_refused(invoice_pdf: bytes) -> None:
    with pytest.raises(InvalidAttachment, match="truncated"):
        pdf_attachment("f.pdf", b64(invoice_pdf[: len(invoice_pdf) // 2]), fallback_name="x.pdf")


def test_a_pdf_larger_than_the_limit_is_refused_and_one_at_the_limit_is_accepted() -> None:
    def pdf_of(size: int) -> bytes:
        head, tail = b"%PDF-1.7\n", b"\n%%EOF\n"
        return head + b"0" * (size - len(head) - len(tail)) + tail

    at_limit = pdf_of(MAX_ATTACHMENT_BYTES)
    assert len(pdf_attachment("f.pdf", b64(at_limit), fallback_name="x.pdf").content) == MAX_ATTACHMENT_BYTES
    with pytest.raises(InvalidAttachment, match="larger than"):
        pdf_attachment("f.pdf", b64(pdf_of(MAX_ATTACHMENT_BYTES + 1)), fallback_name="x.pdf")


@pytest.mark.parametrize(
    ("filename", "fallback", "safe"),
    [
        ("fattura-2027-000012.pdf", "x.pdf", "fattura-2027-000012.pdf"),
        ("Fattura 2027/000012.PDF", "x.pdf", "Fattura_2027_000012.pdf"),
        ("../../etc/passwd", "x.pdf", "etc_passwd.pdf"),
        ('fattura"\r\nBcc: intruso@example.it.pdf', "x.pdf", "fattura_Bcc_intruso_example.it.pdf"),
        ("fàttura n°12", "x.pdf", "f_ttura_n_12.pdf"),
        ("", "fattura-2027/000012.pdf", "fattura-2027_000012.pdf"),
        ("../.pdf", "", "documento.pdf"),
    ],
)
def test_the_attachment_name_is_one_any_mail_client_keeps_as_it_is(
    filename: str, fallback: str, safe: str
) -> None:
    assert safe_pdf_filename(filename, fallback) == safe


def test_a_long_attachment_name_is_shortened_and_keeps_its_extension() -> None:
    name = safe_pdf_filename("f" * 500 + ".pdf", "x.pdf")
    assert len(name) == MAX_FILENAME_CHARS and name.endswith("ffff.pdf")


def test_an_invoice_whose_pdf_cannot_be_attached_gives_no_email(account_event) -> None:  # noqa: ANN001
    event = account_event("invoice_issued", MARIO.user_id, pdf_base64=b64(b"non un PDF"))
    with pytest.raises(InvalidAttachment):
        Composer("https://parkingcaserta.it").invoice_issued(event, MARIO)


def test_an_invoice_without_a_usable_file_name_is_named_after_its_number(account_event) -> None:  # noqa: ANN001
    event = account_event("invoice_issued", MARIO.user_id, number="2027/000012", pdf_filename="   ")
    [attachment] = Composer("https://parkingcaserta.it").invoice_issued(event, MARIO).attachments
    assert attachment.filename == "fattura-2027_000012.pdf"


def _message() -> Message:
    return Message(
        id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        kind=MessageKind.INVOICE_ISSUED,
        recipient="mario.rossi@example.it",
        subject="Caserta Sosta – Fattura n. 2027/000012 emessa",
        text_body="In allegato la fattura.",
        html_body="<p>In allegato la fattura.</p>",
        created_at=NOW,
        next_attempt_at=NOW,
    )


def test_built_email_with_an_attachment_is_mixed_the_two_bodies_then_the_pdf(invoice_pdf: bytes) -> None:
    attachment = Attachment("fattura-2027-000012.pdf", PDF, invoice_pdf)
    raw = build_email(_message(), Settings(), NOW, [attachment]).as_bytes()
    parsed = BytesParser(policy=policy.default).parsebytes(raw)

    assert parsed.get_content_type() == "multipart/mixed"
    body, pdf = parsed.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content().strip() == "In allegato la fattura."
    assert parsed.get_body(("html",)).get_content().strip() == "<p>In allegato la fattura.</p>"
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content_disposition() == "attachment"
    assert pdf.get_filename() == "fattura-2027-000012.pdf"
    assert pdf.get_content() == invoice_pdf


def test_built_email_without_attachments_stays_two_alternatives() -> None:
    parsed = BytesParser(policy=policy.default).parsebytes(
        build_email(_message(), Settings(), NOW).as_bytes()
    )
    assert parsed.get_content_type() == "multipart/alternative"
    assert list(parsed.iter_attachments()) == []
