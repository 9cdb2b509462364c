"""The events the billing service consumes: its queue is bound to exactly these. Each
handler's name is its inbox key: keep it when moving or renaming the function."""

from sqlmodel.ext.asyncio.session import AsyncSession

from billing.models import citizens
from billing.runtime import Runtime
from billing.service import orders
from contracts import Envelope
from contracts.events import SubscriptionRequestApproved, UnpaidRequestExpired
from kit.consumer import EventHandlers
from kit.readmodel import keep_citizens


def build_handlers(rt: Runtime) -> EventHandlers:
    handlers = EventHandlers()
    # Payers' names and codici fiscali, for payment positions and receipts.
    keep_citizens(handlers, citizens)

    async def open_payment_order(
        session: AsyncSession, event: SubscriptionRequestApproved, envelope: Envelope
    ) -> None:
        await orders.open_order(session, rt, event)

    async def close_unpaid_order(
        session: AsyncSession, event: UnpaidRequestExpired, envelope: Envelope
    ) -> None:
        await orders.expire_order(session, rt, event.request_id)

    handlers.add(SubscriptionRequestApproved, "orders.subscription_request_approved", open_payment_order)
    handlers.add(UnpaidRequestExpired, "orders.unpaid_request_expired", close_unpaid_order)
    return handlers
