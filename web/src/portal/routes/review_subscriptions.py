"""`/operatore/abbonamenti`: the operators' review of the subscription requests. The queue of
pending requests (oldest first, searchable by plate), a request with the citizen's
certification and plate beside it, the decision (approve, which opens the payment, or reject
with a reason) and its audit trail."""

from __future__ import annotations

from portal.clients.subscriptions import SubscriptionsClient
from portal.routes.review import ReviewKind, review_router

router = review_router(
    ReviewKind(
        base="/operatore/abbonamenti",
        client=SubscriptionsClient,
        approved="La richiesta di abbonamento è stata approvata.",
        rejected="La richiesta di abbonamento è stata rifiutata.",
        queue_template="operator/subscription_queue.html",
        review_template="operator/subscription_review.html",
        search="targa",
        queue=lambda subscriptions, plate, page: subscriptions.queue(
            plate=plate, limit=page.size, offset=page.offset
        ),
    )
)
