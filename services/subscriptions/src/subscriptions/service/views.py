"""How the use cases' results are shaped for the API (``subscriptions.schemas``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from subscriptions import schemas
from subscriptions.domain.eligibility import is_valid_certification
from subscriptions.domain.money import CURRENCY, format_euro, split_gross
from subscriptions.domain.periods import local_date
from subscriptions.domain.renewals import Renewal
from subscriptions.domain.statuses import (
    REVOCATION_REASONS,
    SubscriptionStatus,
    request_status_label,
    subscription_status,
    subscription_status_label,
)
from subscriptions.models import (
    CitizenCertification,
    CitizenPlate,
    Subscription,
    SubscriptionPayment,
    SubscriptionRequest,
    SubscriptionType,
)


def type_view(subscription_type: SubscriptionType) -> schemas.SubscriptionType:
    price = split_gross(subscription_type.price_cents, subscription_type.vat_rate)
    return schemas.SubscriptionType(
        code=subscription_type.code,
        name=subscription_type.name,
        description=subscription_type.description,
        sector_codes=list(subscription_type.sector_codes),
        all_sectors=subscription_type.all_sectors,
        duration_months=subscription_type.duration_months,
        price_cents=price.gross_cents,
        net_cents=price.net_cents,
        vat_cents=price.vat_cents,
        vat_rate=price.vat_rate,
        currency=CURRENCY,
        price_label="Gratuito" if price.gross_cents == 0 else format_euro(price.gross_cents),
        renewable=subscription_type.renewable,
        electric_only=subscription_type.electric_only,
    )


def type_admin_view(subscription_type: SubscriptionType) -> schemas.SubscriptionTypeAdmin:
    return schemas.SubscriptionTypeAdmin(
        **type_view(subscription_type).model_dump(),
        active=subscription_type.active,
        created_at=subscription_type.created_at,
        updated_at=subscription_type.updated_at,
    )


def request_fields(request: SubscriptionRequest, subscription_id: uuid.UUID | None) -> dict[str, Any]:
    price = split_gross(request.amount_cents, request.vat_rate)
    return {
        "id": request.id,
        "kind": request.kind,
        "certification_id": request.certification_id,
        "plate_id": request.plate_id,
        "plate": request.plate,
        "sector_code": request.sector_code,
        "sector_name": request.sector_name,
        "subscription_type_code": request.subscription_type_code,
        "subscription_type_name": request.subscription_type_name,
        "status": request.status,
        "status_label": request_status_label(request.status, price.gross_cents),
        "submitted_at": request.submitted_at,
        "decided_at": request.decided_at,
        "outcome_reason": request.outcome_reason,
        "amount_cents": price.gross_cents,
        "net_cents": price.net_cents,
        "vat_cents": price.vat_cents,
        "vat_rate": price.vat_rate,
        "currency": request.currency,
        "amount_label": "Gratuito" if price.gross_cents == 0 else format_euro(price.gross_cents),
        "description": request.description,
        "pay_by": request.pay_by,
        "valid_from": request.valid_from,
        "valid_until": request.valid_until,
        "paid_at": request.paid_at,
        "subscription_id": subscription_id,
        "renewal_of": request.renewal_of,
    }


def request_view(
    request: SubscriptionRequest, subscription_id: uuid.UUID | None
) -> schemas.SubscriptionRequest:
    return schemas.SubscriptionRequest(**request_fields(request, subscription_id))


def admin_summary(
    request: SubscriptionRequest, subscription_id: uuid.UUID | None
) -> schemas.AdminRequestSummary:
    return schemas.AdminRequestSummary(**request_fields(request, subscription_id), user_id=request.user_id)


def certification_facts(
    certification: CitizenCertification | None, user_id: uuid.UUID, today: date
) -> schemas.CertificationFacts | None:
    if certification is None:
        return None
    return schemas.CertificationFacts(
        certification_id=certification.certification_id,
        sector_code=certification.sector_code,
        sector_name=certification.sector_name,
        valid_from=certification.valid_from,
        valid_until=certification.valid_until,
        expired=certification.expired,
        valid_today=is_valid_certification(certification, user_id, today),
    )


def plate_facts(plate: CitizenPlate | None) -> schemas.PlateFacts | None:
    if plate is None:
        return None
    return schemas.PlateFacts(
        plate_id=plate.plate_id,
        plate=plate.plate,
        make=plate.make,
        model=plate.model,
        electric=plate.electric,
        active=plate.active,
    )


def payment_view(payment: SubscriptionPayment) -> schemas.Payment:
    return schemas.Payment(
        payment_id=payment.payment_id,
        payment_order_id=payment.payment_order_id,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        receipt_number=payment.receipt_number,
        paid_at=payment.paid_at,
        outcome=payment.outcome,  # type: ignore[arg-type]
        refund_reason=payment.refund_reason,
    )


def revocation(subscription: Subscription) -> tuple[date | None, str | None]:
    """The day a revoked subscription stopped counting (Europe/Rome) and why, in Italian."""
    if subscription.status != SubscriptionStatus.REVOKED or subscription.revoked_at is None:
        return None, None
    reason = REVOCATION_REASONS.get(subscription.revoked_reason or "", "Revocato dal Comune.")
    return local_date(subscription.revoked_at), reason


def subscription_view(
    subscription: Subscription, amount_cents: int, *, today: date, renewal: Renewal
) -> schemas.Subscription:
    status = subscription_status(subscription.status, subscription.valid_until, today)
    revoked_on, revoked_reason = revocation(subscription)
    return schemas.Subscription(
        id=subscription.id,
        request_id=subscription.request_id,
        plate_id=subscription.plate_id,
        plate=subscription.plate,
        sector_code=subscription.sector_code,
        sector_name=subscription.sector_name,
        subscription_type_code=subscription.subscription_type_code,
        subscription_type_name=subscription.subscription_type_name,
        valid_from=subscription.valid_from,
        valid_until=subscription.valid_until,
        status=status.value,
        status_label=subscription_status_label(status, subscription.valid_from, today),
        activated_at=subscription.activated_at,
        amount_cents=amount_cents,
        serial=subscription.serial,
        revoked_on=revoked_on,
        revoked_reason=revoked_reason,
        ticket_available=status is SubscriptionStatus.ACTIVE,
        renewal_available=renewal.available,
        renewal_opens_on=renewal.opens_on,
    )
