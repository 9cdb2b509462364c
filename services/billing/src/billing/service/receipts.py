"""Receipts: served to the citizen who paid and to operators."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from billing import repository
from billing.pdf import ReceiptView, receipt_pdf
from billing.runtime import Runtime
from billing.service.orders import order_not_found
from kit.auth import Principal
from kit.errors import NotFound


@dataclass(frozen=True)
class ReceiptDocument:
    filename: str
    content: bytes


async def receipt_document(
    session: AsyncSession, rt: Runtime, principal: Principal, request_id: uuid.UUID
) -> ReceiptDocument:
    owner = None if principal.is_staff else principal.user_id
    order = await repository.order_by_request(session, request_id, user_id=owner)
    if order is None:
        raise order_not_found()
    receipt = await repository.receipt_of(session, order.id)
    if receipt is None:
        raise NotFound("receipt_not_available", "La ricevuta sarà disponibile dopo il pagamento.")
    view = ReceiptView.of(receipt)
    content = await asyncio.to_thread(receipt_pdf, view)
    return ReceiptDocument(filename=f"ricevuta-{receipt.number.replace('/', '-')}.pdf", content=content)
