"""`/operatore/certificazioni`: the operators' review of the certification requests. The queue
of pending requests (oldest first, by sector), a request with the citizen's data and the
documents previewed, the decision (approve, or reject with a reason) and its audit trail."""

from __future__ import annotations

from typing import Any

from portal.api import ApiProblem, ServiceUnavailable
from portal.clients.certification import CertificationClient
from portal.routes.review import ReviewKind, review_router


async def _sector_options(certification: CertificationClient, sector_code: str) -> dict[str, Any]:
    # Only the filter's choices: the queue shows all the same without them.
    try:
        sectors = (await certification.sectors()).items
    except (ApiProblem, ServiceUnavailable):
        sectors = []
    options = [(sector.code, sector.name) for sector in sectors]
    if sector_code and sector_code not in {code for code, _ in options}:
        options.append((sector_code, sector_code))
    return {"sector_options": options}


router = review_router(
    ReviewKind(
        base="/operatore/certificazioni",
        client=CertificationClient,
        approved="La richiesta di certificazione è stata approvata.",
        rejected="La richiesta di certificazione è stata rifiutata.",
        queue_template="operator/certification_queue.html",
        review_template="operator/certification_review.html",
        search="settore",
        queue=lambda certification, sector_code, page: certification.queue(
            sector_code=sector_code, limit=page.size, offset=page.offset
        ),
        queue_extras=_sector_options,
        documents=True,
    )
)
