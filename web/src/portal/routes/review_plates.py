"""`/operatore/targhe`: the operators' review of the plate association requests. The queue of
pending requests (oldest first, searchable by plate), a request with the vehicle declared, the
citizen's data and the documents previewed, the decision (approve recording whether the
vehicle is electric, or reject with a reason) and its audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable

from portal.clients.vehicles import VehiclesClient
from portal.forms import FormState
from portal.routes.plates import FUELS
from portal.routes.review import ReviewKind, review_router

ELECTRIC_CHOICES = [("true", "Sì"), ("false", "No")]
ELECTRIC_REQUIRED = "Indica se il veicolo è elettrico, come risulta dal libretto."


def _approve(vehicles: VehiclesClient, request_id: uuid.UUID, form: FormState) -> Awaitable[None] | None:
    """The approval records whether the vehicle is electric: it must be said."""
    electric = {"true": True, "false": False}.get(form.value("electric"))
    if electric is None:
        form.add("electric", ELECTRIC_REQUIRED)
        return None
    return vehicles.approve(request_id, electric=electric)


router = review_router(
    ReviewKind(
        base="/operatore/targhe",
        client=VehiclesClient,
        approved="La richiesta di associazione targa è stata approvata.",
        rejected="La richiesta di associazione targa è stata rifiutata.",
        queue_template="operator/plate_queue.html",
        review_template="operator/plate_review.html",
        search="targa",
        queue=lambda vehicles, plate, page: vehicles.queue(plate=plate, limit=page.size, offset=page.offset),
        context={"fuels": dict(FUELS), "electric_choices": ELECTRIC_CHOICES},
        approve_fields=("electric",),
        approve=_approve,
        documents=True,
    )
)
