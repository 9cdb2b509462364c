"""The subscriptions service (`/api/subscriptions`): what the citizen may request ("Nuova
Richiesta": a valid certification, an associated plate, a type its sector allows; "Auto
Elettriche": a plate certified electric), their requests and subscriptions (with the ticket,
"contrassegno", as a PDF and the renewal, "Rinnova"), the operators' review of the requests and
their enforcement checks, and the admins' catalogue of subscription types. Shapes follow
`services/subscriptions/src/subscriptions/schemas.py`; every field the pages do not need is
optional, so that the service may add or rename one without breaking a page."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel

from portal.api import Download
from portal.clients.base import AuditEntry, Page, QueuedRequest, RequestSummary, ReviewClient, without_empty

PREFIX = "/api/subscriptions"
# The catalogue holds a few types: one page holds them all.
TYPES_PAGE = 100
# The citizen's subscriptions on the dashboard: the most recent ones.
SUBSCRIPTIONS_PAGE = 20
RenewalState = Literal["available", "later", "refused"]


class SubscriptionType(BaseModel):
    """A "Tipologia di abbonamento": its price is gross (VAT included), in euro cents."""

    code: str
    name: str
    description: str | None = None
    sector_codes: list[str] = []
    # Valid in every sector (the electric cars' type): then ``sector_codes`` is empty.
    all_sectors: bool = False
    duration_months: int
    price_cents: int
    vat_rate: Decimal | None = None
    renewable: bool = True
    electric_only: bool = False
    active: bool = True

    def allows(self, sector_code: str) -> bool:
        return self.all_sectors or sector_code in self.sector_codes


class TypeDraft(BaseModel):
    """A type as an admin writes it. The code is chosen once, at creation; the VAT rate is
    sent as a decimal string ("22", "5.5"), never as a float."""

    code: str = ""
    name: str
    description: str = ""
    sector_codes: list[str]
    all_sectors: bool
    duration_months: int | None
    price_cents: int | None
    vat_rate: str | None
    renewable: bool
    electric_only: bool
    active: bool

    def body(self, *, with_code: bool) -> dict[str, Any]:
        """What the service reads; a value the admin did not give is left out, so that the
        service names the field ("Campo obbligatorio.")."""
        body = self.model_dump(exclude=set() if with_code else {"code"})
        return {k: v for k, v in body.items() if v is not None}


class HeldCertification(BaseModel):
    """A certification of the citizen's, as the subscriptions service knows it."""

    certification_id: uuid.UUID
    sector_code: str
    sector_name: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class HeldPlate(BaseModel):
    """A plate of the citizen's, as the subscriptions service knows it."""

    plate_id: uuid.UUID
    plate: str
    make: str | None = None
    model: str | None = None


class CertificationOption(HeldCertification):
    """A valid certification of the citizen's, "Tipologia di certificazione" in the form."""

    # The codes of the types its sector allows; None: the service did not say (the portal
    # then reads each type's sectors).
    allowed_type_codes: list[str] | None = None


class PlateOption(HeldPlate):
    """A plate associated with the citizen (``electric``: as the operator certified it)."""

    electric: bool = False


class RequestOptions(BaseModel):
    """The choices of "Nuova Richiesta" and "Auto Elettriche"."""

    certifications: list[CertificationOption] = []
    plates: list[PlateOption] = []
    types: list[SubscriptionType] = []

    def types_for(self, certification: CertificationOption) -> list[SubscriptionType]:
        if certification.allowed_type_codes is not None:
            allowed = set(certification.allowed_type_codes)
            return [t for t in self.types if t.code in allowed]
        return [t for t in self.types if t.allows(certification.sector_code)]

    @property
    def electric_plates(self) -> list[PlateOption]:
        return [plate for plate in self.plates if plate.electric]

    @property
    def electric_types(self) -> list[SubscriptionType]:
        """The types "Auto Elettriche" sends: for electric cars, valid in every sector (one
        restricted to some sectors needs a certification, through "Nuova Richiesta")."""
        return [t for t in self.types if t.electric_only and t.all_sectors]


class SubscriptionRequest(RequestSummary):
    """A citizen's request: the plate, the type, the period and, once approved, the amount to
    pay by ``pay_by``."""

    kind: str | None = None
    plate: str | None = None
    sector_code: str | None = None
    sector_name: str | None = None
    subscription_type_code: str | None = None
    subscription_type_name: str | None = None
    amount_cents: int | None = None
    currency: str = "EUR"
    pay_by: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    paid_at: datetime | None = None

    @property
    def payable(self) -> bool:
        """Approved, with something to pay: the "Paga" button."""
        return self.status == "approved" and bool(self.amount_cents)


class SubscriptionTerms(BaseModel):
    """What a subscription covers (a plate, a sector, a period) and how it stands."""

    plate: str
    sector_code: str | None = None
    sector_name: str | None = None
    subscription_type_code: str | None = None
    subscription_type_name: str | None = None
    valid_from: date
    valid_until: date
    status: str
    status_label: str | None = None
    # The ticket's number (CE-2026-000123).
    serial: str | None = None
    # Revoked: from which day, and why (in Italian).
    revoked_on: date | None = None
    revoked_reason: str | None = None


class Subscription(SubscriptionTerms):
    """A subscription of the citizen's ("Abbonamenti Associati"), active or past."""

    id: uuid.UUID
    request_id: uuid.UUID
    activated_at: datetime | None = None
    # What was paid for it; 0: free, there is no receipt. None: not said (a receipt is offered).
    amount_cents: int | None = None
    # The ticket may be downloaded (neither revoked nor ended); "Rinnova" may be sent now, and
    # from which day it may. Not said: neither is offered.
    ticket_available: bool = False
    renewal_available: bool = False
    renewal_opens_on: date | None = None

    @property
    def has_receipt(self) -> bool:
        return self.amount_cents != 0

    def renewal_state(self, today: date) -> RenewalState | None:
        """ "available": "Rinnova" may be sent; "later": its window opens after ``today``;
        "refused": the window is open but the service refuses it (the renewal page says why);
        None: nothing to renew (ended or revoked)."""
        if self.renewal_available:
            return "available"
        if self.status != "active" or self.revoked_on is not None or self.renewal_opens_on is None:
            return None
        return "later" if self.renewal_opens_on > today else "refused"


# --- "Rinnova" -------------------------------------------------------------------------------


class Reason(BaseModel):
    """Why something may not be done: a stable code, and what the citizen reads."""

    code: str
    message: str


class RenewalPrefill(BaseModel):
    """What the renewal sends, taken from the subscription (no certification: an electric car's)."""

    certification_id: uuid.UUID | None = None
    plate_id: uuid.UUID
    subscription_type_code: str


class Period(BaseModel):
    valid_from: date
    valid_until: date


class RenewalOffer(BaseModel):
    """What "Rinnova" would send for a subscription, and whether it may be sent now."""

    subscription_id: uuid.UUID
    available: bool
    opens_on: date | None = None
    reason_if_not: Reason | None = None
    prefill: RenewalPrefill
    period: Period
    amount_cents: int
    amount_label: str | None = None


# --- enforcement -----------------------------------------------------------------------------


class CheckedSubscription(SubscriptionTerms):
    """The subscription an enforcement check found."""

    id: uuid.UUID | None = None


class TicketFacts(BaseModel):
    """What a verified ticket's token states (signed: it cannot have been altered)."""

    kid: str | None = None
    serial: str
    plate: str
    sector_code: str
    valid_from: date
    valid_until: date
    issued_at: datetime | None = None


class EnforcementCheck(BaseModel):
    """Whether a plate (or a ticket) is covered today by a valid subscription: ``outcome`` is
    valid, not_yet_valid, expired, revoked, not_found or invalid (a token only), and
    ``outcome_label`` says it in Italian ("Scaduto il 31/01/2028")."""

    checked_on: date
    plate: str | None = None
    valid: bool
    outcome: str
    outcome_label: str
    subscription: CheckedSubscription | None = None
    ticket: TicketFacts | None = None


# --- what operators see of a request ---------------------------------------------------------


class CertificationFacts(HeldCertification):
    """The certification a request names, and whether it is valid."""

    expired: bool = False
    valid_today: bool | None = None


class PlateFacts(HeldPlate):
    """The plate a request names: whether it is certified electric, still associated."""

    electric: bool | None = None
    active: bool = True


class QueuedSubscriptionRequest(SubscriptionRequest, QueuedRequest):
    """A request in the operators' queue (``citizen``: when the service sends it)."""

    user_id: uuid.UUID | None = None


class SubscriptionReview(QueuedSubscriptionRequest):
    """A request as an operator reviews it, the certification and plate it names beside it."""

    certification: CertificationFacts | None = None
    vehicle: PlateFacts | None = None
    audit: list[AuditEntry] = []


class SubscriptionsClient(ReviewClient):
    REQUESTS = f"{PREFIX}/admin/requests"

    # The citizen

    async def options(self) -> RequestOptions:
        return await self._user_get(RequestOptions, f"{PREFIX}/options")

    async def submit_request(
        self, *, certification_id: str, plate_id: str, subscription_type_code: str
    ) -> SubscriptionRequest:
        """ "Nuova Richiesta". What the citizen left out is left out of the body: the service
        answers next to the field."""
        body = without_empty(
            {
                "certification_id": certification_id,
                "plate_id": plate_id,
                "subscription_type_code": subscription_type_code,
            }
        )
        return await self._user_post(SubscriptionRequest, f"{PREFIX}/requests", json=body)

    async def submit_electric_request(
        self, *, plate_id: str, subscription_type_code: str = ""
    ) -> SubscriptionRequest:
        """ "Auto Elettriche": the plate; the type only when the catalogue offers several."""
        body = without_empty({"plate_id": plate_id, "subscription_type_code": subscription_type_code})
        return await self._user_post(SubscriptionRequest, f"{PREFIX}/requests/electric", json=body)

    async def list_requests(self) -> Page[SubscriptionRequest]:
        """The logged-in citizen's own requests, newest first."""
        return await self._user_get(Page[SubscriptionRequest], f"{PREFIX}/requests")

    async def subscriptions(self) -> Page[Subscription]:
        """The logged-in citizen's subscriptions, newest first."""
        return await self._user_get(
            Page[Subscription], f"{PREFIX}/subscriptions", params={"limit": SUBSCRIPTIONS_PAGE}
        )

    async def ticket(self, subscription_id: uuid.UUID) -> Download:
        """The ticket ("contrassegno") to display on the dashboard of the car, as a PDF."""
        return await self._user_download(f"{PREFIX}/subscriptions/{subscription_id}/ticket")

    async def renewal_offer(self, subscription_id: uuid.UUID) -> RenewalOffer:
        return await self._user_get(RenewalOffer, f"{PREFIX}/subscriptions/{subscription_id}/renewal")

    async def renew(self, subscription_id: uuid.UUID) -> SubscriptionRequest:
        """ "Rinnova": a request for the period after the subscription's, with its data."""
        return await self._user_post(SubscriptionRequest, f"{PREFIX}/subscriptions/{subscription_id}/renew")

    # Operators

    async def queue(self, *, plate: str = "", limit: int, offset: int) -> Page[QueuedSubscriptionRequest]:
        """The requests waiting for a decision, oldest first (``plate``: a plate)."""
        return await self._queue(Page[QueuedSubscriptionRequest], plate=plate, limit=limit, offset=offset)

    async def review(self, request_id: uuid.UUID) -> SubscriptionReview:
        return await self._review(SubscriptionReview, request_id)

    async def approve(self, request_id: uuid.UUID) -> None:
        await self._approve(request_id)

    async def check_plate(self, plate: str) -> EnforcementCheck:
        """Is the plate (as typed: case, spaces and dashes do not matter) covered today?"""
        return await self._user_get(EnforcementCheck, f"{PREFIX}/admin/enforcement", params={"plate": plate})

    async def verify_ticket(self, token: str) -> EnforcementCheck:
        """The text of a ticket's QR code: its signature, then its subscription today."""
        body = {"token": token}
        return await self._user_post(EnforcementCheck, f"{PREFIX}/admin/enforcement/verify", json=body)

    # Admins: the catalogue of subscription types

    async def all_types(self) -> Page[SubscriptionType]:
        """Every type, the inactive ones too."""
        return await self._user_get(
            Page[SubscriptionType], f"{PREFIX}/admin/types", params={"limit": TYPES_PAGE}
        )

    async def subscription_type(self, code: str) -> SubscriptionType:
        return await self._user_get(SubscriptionType, f"{PREFIX}/admin/types/{quote(code, safe='')}")

    async def create_type(self, draft: TypeDraft) -> None:
        await self._user_call("POST", f"{PREFIX}/admin/types", json=draft.body(with_code=True))

    async def update_type(self, code: str, draft: TypeDraft) -> None:
        """Every field as it must become (a type is never deleted: ``active`` false retires it)."""
        path = f"{PREFIX}/admin/types/{quote(code, safe='')}"
        await self._user_call("PUT", path, json=draft.body(with_code=False))
