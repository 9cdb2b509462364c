"""The citizen's subscriptions ("Abbonamenti Associati"): the list, the ticket of one, and its
renewal ("Rinnova")."""

import uuid

from fastapi import APIRouter, Response

from kit.deps import Citizen, CurrentUser, PageQuery, UnitOfWorkDep
from kit.pagination import Page
from kit.problems import problem_responses
from subscriptions import schemas
from subscriptions.routes.deps import RuntimeDep
from subscriptions.service import renewals, subscriptions, tickets

router = APIRouter(prefix="/subscriptions", tags=["abbonamenti"])

# A download that browsers neither sniff, nor run, nor keep in shared caches.
_DOCUMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@router.get("", summary="I miei abbonamenti, dal più recente")
async def my_subscriptions(
    user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep, page: PageQuery
) -> Page[schemas.Subscription]:
    return await subscriptions.own(session, rt, user.user_id, page)


@router.get(
    "/{subscription_id}/ticket",
    summary="Il contrassegno da esporre sul cruscotto (PDF), per il titolare e per gli operatori",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "Il contrassegno in PDF"},
        **problem_responses(409),  # expired or revoked: no ticket any more
    },
)
async def ticket(
    subscription_id: uuid.UUID, user: CurrentUser, session: UnitOfWorkDep, rt: RuntimeDep
) -> Response:
    document = await tickets.ticket_document(session, rt, user, subscription_id)
    return Response(
        document.content,
        media_type="application/pdf",
        headers={**_DOCUMENT_HEADERS, "Content-Disposition": f'attachment; filename="{document.filename}"'},
    )


@router.get(
    "/{subscription_id}/renewal", summary="Il rinnovo dell'abbonamento: se è disponibile, e cosa invia"
)
async def renewal(
    subscription_id: uuid.UUID, user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.RenewalOffer:
    return await renewals.offer(session, rt, user.user_id, subscription_id)


@router.post(
    "/{subscription_id}/renew",
    status_code=201,
    summary="Rinnova: invia la richiesta di rinnovo (dal giorno dopo la scadenza)",
    responses=problem_responses(409),
)
async def renew(
    subscription_id: uuid.UUID, user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.SubscriptionRequest:
    return await renewals.renew(session, rt, user, subscription_id)
