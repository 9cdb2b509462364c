"""The operators' review of the citizens' requests, the same for every kind of request: the
queue of pending requests (oldest first, filtered, paged), a request with its audit trail, the
decision (approve, or reject with a reason; another operator's decision taken first is said
so) and, where the requests carry documents, their download and previews. A kind's module
declares what differs in a `ReviewKind`; `review_router` makes its pages."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations, which name
# the kind's client through a local alias.

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.clients.base import DocumentReviewClient, Page, ReviewClient
from portal.deps import StaffUser
from portal.forms import FormState, form_values, submit
from portal.review import (
    ACTOR_ROLES,
    AUDIT_ACTIONS,
    DECISION_LABELS,
    DOCUMENT_LABELS,
    Pagination,
    explain_conflict,
    or_404,
    preview_pages,
)
from portal.templating import flash, templates

Client = TypeVar("Client", bound=ReviewClient)


def approve_as_is(client: Any, request_id: uuid.UUID, form: FormState) -> Awaitable[None]:
    """An approval that records the decision alone."""
    return client.approve(request_id)


@dataclass(frozen=True)
class ReviewKind(Generic[Client]):
    """What sets a kind of request apart in the review pages."""

    # Where its pages are: "/operatore/targhe".
    base: str
    # The service's client, built for each page.
    client: Callable[[Request], Client]
    # What the queue says after a decision.
    approved: str
    rejected: str
    queue_template: str
    review_template: str
    # The queue's filter as the address carries it ("targa"), and the queue with it applied.
    search: str
    queue: Callable[[Client, str, Pagination], Awaitable[Page[Any]]]
    # What else the queue page shows, from the filter (the sectors to choose from).
    queue_extras: Callable[[Client, str], Awaitable[dict[str, Any]]] | None = None
    # What else both pages need (the words of the fuels).
    context: Mapping[str, Any] = field(default_factory=dict)
    # The fields an approval records beyond the decision, and the approval: None when the
    # values are refused (the messages are then on the form).
    approve_fields: tuple[str, ...] = ()
    approve: Callable[[Client, uuid.UUID, FormState], Awaitable[None] | None] = approve_as_is
    # The requests carry documents: their download and previews.
    documents: bool = False


def review_router(kind: ReviewKind[Client]) -> APIRouter:
    router = APIRouter(prefix=kind.base)
    Service = Annotated[ReviewClient, Depends(kind.client)]
    Search = Annotated[str, Query(alias=kind.search)]

    async def review_page(
        request: Request,
        client: ReviewClient,
        request_id: uuid.UUID,
        form: FormState | None = None,
        status_code: int = 200,
    ) -> Response:
        review = await or_404(client.review(request_id))
        return templates.TemplateResponse(
            request,
            kind.review_template,
            {
                "review": review,
                "form": form or FormState(),
                "labels": DECISION_LABELS,
                "base": kind.base,
                "document_labels": DOCUMENT_LABELS,
                "audit_actions": AUDIT_ACTIONS,
                "actor_roles": ACTOR_ROLES,
                "preview_pages": preview_pages,
                **kind.context,
            },
            status_code=status_code,
        )

    async def decided(
        request: Request,
        client: ReviewClient,
        request_id: uuid.UUID,
        form: FormState,
        decision: Awaitable[None],
        done: str,
    ) -> Response:
        sent = await submit(form, decision, DECISION_LABELS, explain=explain_conflict)
        if not sent.ok:
            return await review_page(request, client, request_id, form, sent.status_code)
        flash(request, done, "success")
        return RedirectResponse(kind.base, status_code=303)

    @router.get("", response_class=HTMLResponse)
    async def queue(
        request: Request, user: StaffUser, client: Service, search: Search = "", pagina: int = 1
    ) -> Response:
        search = search.strip()
        pagination = Pagination.asked(pagina, {kind.search: search})
        # A page number past what the service pages through is a page that does not exist.
        listing = await or_404(kind.queue(client, search, pagination))
        extras = await kind.queue_extras(client, search) if kind.queue_extras else {}
        return templates.TemplateResponse(
            request,
            kind.queue_template,
            {
                "listing": listing,
                "pagination": pagination.of(listing.total),
                "filters": FormState(values={kind.search: search}),
                "base": kind.base,
                **kind.context,
                **extras,
            },
        )

    @router.get("/{request_id}", response_class=HTMLResponse)
    async def review(request: Request, user: StaffUser, client: Service, request_id: uuid.UUID) -> Response:
        return await review_page(request, client, request_id)

    @router.post("/{request_id}/approva", response_class=HTMLResponse)
    async def approve(request: Request, user: StaffUser, client: Service, request_id: uuid.UUID) -> Response:
        form = FormState(values=form_values(await request.form(), kind.approve_fields))
        approval = kind.approve(client, request_id, form)
        if approval is None:
            return await review_page(request, client, request_id, form, 422)
        return await decided(request, client, request_id, form, approval, kind.approved)

    @router.post("/{request_id}/rifiuta", response_class=HTMLResponse)
    async def reject(request: Request, user: StaffUser, client: Service, request_id: uuid.UUID) -> Response:
        form = FormState(values=form_values(await request.form(), ["reason"]))
        rejection = client.reject(request_id, form.value("reason"))
        return await decided(request, client, request_id, form, rejection, kind.rejected)

    if kind.documents:
        Documents = Annotated[DocumentReviewClient, Depends(kind.client)]

        @router.get("/{request_id}/documenti/{document_id}")
        async def document(
            user: StaffUser, client: Documents, request_id: uuid.UUID, document_id: uuid.UUID
        ) -> Response:
            return (await or_404(client.document(request_id, document_id))).as_response()

        @router.get("/{request_id}/documenti/{document_id}/anteprima")
        async def document_preview(
            user: StaffUser,
            client: Documents,
            request_id: uuid.UUID,
            document_id: uuid.UUID,
            pagina: int = 1,
        ) -> Response:
            preview = await or_404(client.document_preview(request_id, document_id, max(1, pagina)))
            return preview.as_response(disposition="inline")

    return router
