"""The billing service (`/api/billing`): the payment order of an approved subscription request,
its checkout at the payment provider ("Paga"), the receipt as a PDF, and the operators' list
and CSV export of the payments. Shapes follow `services/billing/src/billing/schemas.py`; the
fields the pages do not need are optional."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel

from portal.api import Download, parse
from portal.clients.base import Page, ServiceClient, without_empty

PREFIX = "/api/billing"


class Order(BaseModel):
    """The payment order of a request: what to pay, by when, and how far the payment got
    (created, checkout_started, paid, failed, cancelled, expired)."""

    request_id: uuid.UUID | None = None
    description: str | None = None
    plate: str | None = None
    amount_cents: int
    currency: str = "EUR"
    due_date: date | None = None
    notice_number: str | None = None
    status: str
    status_label: str | None = None
    # Whether a checkout may be opened now (None: the service did not say).
    can_pay: bool | None = None
    receipt_available: bool = False
    receipt_number: str | None = None
    paid_at: datetime | None = None

    @property
    def paid(self) -> bool:
        return self.status == "paid"


class Payment(Order):
    """An order as operators list it, with its citizen."""

    user_id: uuid.UUID | None = None
    payer_name: str | None = None
    payer_tax_code: str | None = None
    transaction_id: str | None = None


class Checkout(BaseModel):
    """The provider's checkout page the browser goes to."""

    redirect_url: str


class BillingClient(ServiceClient):
    # The citizen

    async def order(self, request_id: uuid.UUID) -> Order:
        return parse(Order, await self._user_call("GET", f"{PREFIX}/orders/{request_id}"))

    async def checkout(self, request_id: uuid.UUID, return_url: str) -> Checkout:
        """A checkout at the provider, which sends the browser back to ``return_url`` (a page
        of the portal, on its public origin) with ``?esito=ok|annullato|rifiutato``."""
        body = {"return_url": return_url}
        response = await self._user_call("POST", f"{PREFIX}/orders/{request_id}/checkout", json=body)
        return parse(Checkout, response)

    async def receipt(self, request_id: uuid.UUID) -> Download:
        """The receipt of a paid request, as a PDF (citizens their own, operators any)."""
        return await self._user_download(f"{PREFIX}/receipts/{request_id}")

    # Operators

    async def payments(
        self,
        *,
        user_id: uuid.UUID | None = None,
        start: date | None = None,
        end: date | None = None,
        limit: int,
        offset: int,
    ) -> Page[Payment]:
        """The payments of a citizen, or paid within a period (days in Caserta, included)."""
        params = without_empty(
            {
                "user_id": str(user_id) if user_id else None,
                "from": start.isoformat() if start else None,
                "to": end.isoformat() if end else None,
                "limit": limit,
                "offset": offset,
            }
        )
        response = await self._user_call("GET", f"{PREFIX}/admin/payments", params=params)
        return parse(Page[Payment], response)

    async def payments_csv(self, start: date, end: date) -> Download:
        """The payments received in a period, as the CSV the offices open in a spreadsheet."""
        params = {"from": start.isoformat(), "to": end.isoformat()}
        return await self._user_download(f"{PREFIX}/admin/payments.csv", params=params)
