"""The provider's notifications: verified (HMAC signature over the raw body, timestamp within
the tolerance, constant-time comparison), then applied once; a replay changes nothing."""

from __future__ import annotations

import structlog
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from billing.domain import signature
from billing.models import ProviderNotification
from billing.runtime import Runtime
from billing.schemas import NotificationAck, ProviderNotificationBody
from billing.service.payments import Outcome, apply_outcome, unknown_notice
from kit.errors import FieldError, Invalid, Unauthenticated

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 64 * 1024


def invalid_signature() -> Unauthenticated:
    return Unauthenticated("invalid_signature", "Firma della notifica assente o non valida.")


async def receive(session: AsyncSession, rt: Runtime, raw_body: bytes, header: str | None) -> NotificationAck:
    settings = rt.settings
    try:
        signature.verify(
            settings.notification_secret,
            header or "",
            raw_body,
            now=rt.clock.now(),
            tolerance_s=settings.notification_tolerance_s,
        )
    except signature.SignatureError as exc:
        log.warning("notification.refused", reason=str(exc))
        raise invalid_signature() from None
    if len(raw_body) > MAX_BODY_BYTES:
        raise Invalid(
            [FieldError("body", "too_large", "Notifica troppo grande.")], code="invalid_notification"
        )
    try:
        body = ProviderNotificationBody.model_validate_json(raw_body)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "body", e["type"], "Valore non valido.")
            for e in exc.errors(include_input=False)
        ]
        raise Invalid(errors, code="invalid_notification", message="Notifica non valida.") from None
    if body.creditor_tax_code != settings.creditor_tax_code:
        raise unknown_notice()
    first_time = (
        await session.exec(
            insert(ProviderNotification)
            .values(
                notification_id=body.notification_id,
                notice_number=body.notice_number,
                session_id=body.session_id,
                outcome=body.outcome,
                result="pending",
                received_at=rt.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["notification_id"])
            .returning(col(ProviderNotification.notification_id))
        )
    ).first()
    if first_time is None:
        log.info("notification.replayed", notification_id=body.notification_id)
        return NotificationAck(result="duplicate")
    result = await apply_outcome(
        session,
        rt,
        Outcome(
            notice_number=body.notice_number,
            session_id=body.session_id,
            kind=body.outcome,
            occurred_at=body.occurred_at,
            source="notification",
            amount_cents=body.amount_cents,
            currency=body.currency,
            transaction_id=body.transaction_id,
            reason=body.reason,
        ),
    )
    await session.exec(
        update(ProviderNotification)
        .where(col(ProviderNotification.notification_id) == body.notification_id)
        .values(result=result)
    )
    return NotificationAck(result=result)
