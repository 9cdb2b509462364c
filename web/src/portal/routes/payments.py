"""`/operatore/pagamenti`: the payments of the subscriptions, for operators: listed by citizen
or by the period in which they were paid, the receipt of each, and "Esporta CSV" of a period
(billing's file, streamed through)."""

from __future__ import annotations

import uuid

from fastapi.responses import Response

from portal.clients.billing import BillingClient
from portal.deps import Billing, StaffUser
from portal.periods import PeriodList, period_list_router
from portal.review import or_404

router = period_list_router(
    PeriodList(
        base="/operatore/pagamenti",
        template="operator/payments.html",
        labels={"dal": "Pagati dal giorno", "al": "Pagati fino al giorno"},
        period_required="Per esportare i pagamenti indica il periodo: il primo e l'ultimo giorno.",
        listing=BillingClient.payments,
        # "Esporta CSV": every payment received in the period (whoever paid).
        exports={"/esporta": BillingClient.payments_csv},
    )
)


@router.get("/{request_id}/ricevuta")
async def receipt(user: StaffUser, billing: Billing, request_id: uuid.UUID) -> Response:
    return (await or_404(billing.receipt(request_id))).as_response()
