"""`/operatore/fatture`: the invoices issued to citizens, for operators: listed by citizen or by
the period in which they were issued, the PDF and the FatturaPA XML of each, and the exports of
a period, "Esporta CSV" (for a spreadsheet) and "Esporta XML (ZIP)" (the files as SDI names
them), billing's files streamed through."""

from __future__ import annotations

import uuid

from fastapi.responses import Response

from portal.clients.billing import BillingClient
from portal.deps import Billing, StaffUser
from portal.periods import PeriodList, period_list_router
from portal.review import or_404

router = period_list_router(
    PeriodList(
        base="/operatore/fatture",
        template="operator/invoices.html",
        labels={"dal": "Emesse dal giorno", "al": "Emesse fino al giorno"},
        period_required="Per esportare le fatture indica il periodo: il primo e l'ultimo giorno.",
        listing=BillingClient.invoices,
        exports={
            # "Esporta CSV": every invoice issued in the period (whoever it was made out to).
            "/esporta": BillingClient.invoices_csv,
            # "Esporta XML (ZIP)": the FatturaPA files of the invoices issued in the period (at
            # most a year: billing says so otherwise).
            "/esporta-xml": BillingClient.invoices_zip,
        },
    )
)


@router.get("/{request_id}/pdf")
async def invoice_pdf(user: StaffUser, billing: Billing, request_id: uuid.UUID) -> Response:
    return (await or_404(billing.invoice_pdf(request_id))).as_response()


@router.get("/{request_id}/xml")
async def invoice_xml(user: StaffUser, billing: Billing, request_id: uuid.UUID) -> Response:
    return (await or_404(billing.invoice_xml(request_id))).as_response()
