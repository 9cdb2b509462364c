"""The sandbox provider's hosted checkout page (server-rendered, Italian, no scripts, strict
Content-Security-Policy). Not for production: answered only where the sandbox is active."""

import secrets
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from billing.provider.sandbox import PageResult
from billing.routes.deps import SandboxDep
from billing.templating import templates
from kit.deps import UnitOfWorkDep
from kit.problems import MEDIA_TYPE, PROBLEM_SCHEMA, problem_responses

router = APIRouter(prefix="/sandbox/checkout", tags=["sandbox"])

SessionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

# What the page answers besides itself: back to the portal, or a page saying why the session is
# over; an unknown session is a page too, or a problem where the sandbox is not served.
_PAGE = {"text/html": {"schema": {"type": "string"}}}
_PAGES = {
    303: {"description": "Sessione conclusa: ritorno al portale con l'esito"},
    404: {
        "description": "Sessione non trovata",
        "content": {**_PAGE, MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}},
    },
    409: {"description": "Avviso già pagato o scaduto", "content": _PAGE},
    410: {"description": "Sessione scaduta", "content": _PAGE},
}


def _page(result: PageResult) -> Response:
    if result.redirect_to is not None:
        return RedirectResponse(result.redirect_to, status_code=303, headers={"Cache-Control": "no-store"})
    nonce = secrets.token_urlsafe(16)
    html = (
        templates()
        .get_template("sandbox_checkout.html")
        .render(
            view=result.view,
            title=result.title,
            message=result.message,
            back_url=result.back_url,
            nonce=nonce,
        )
    )
    form_action = "'self'" + (f" {result.return_origin}" if result.return_origin else "")
    return HTMLResponse(
        html,
        status_code=result.status_code,
        headers={
            # The form's answer is a redirect to the portal: form-action must allow its origin.
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; form-action {form_action}; "
                "frame-ancestors 'none'; base-uri 'none'"
            ),
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/{session_id}", summary="Pagina di pagamento (sandbox)", response_class=HTMLResponse, responses=_PAGES
)
async def checkout_page(session_id: SessionId, session: UnitOfWorkDep, sandbox: SandboxDep) -> Response:
    return _page(await sandbox.page(session, session_id))


@router.post(
    "/{session_id}",
    summary="Esito scelto sulla pagina di pagamento (sandbox)",
    response_class=HTMLResponse,
    responses={**_PAGES, **problem_responses(403)},  # 403: the form's token is not this session's
)
async def checkout_submit(
    session_id: SessionId,
    session: UnitOfWorkDep,
    sandbox: SandboxDep,
    csrf_token: Annotated[str, Form(max_length=64)],
    action: Annotated[Literal["pay", "cancel", "fail"], Form()],
    card_number: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    return _page(
        await sandbox.submit(
            session, session_id, csrf_token=csrf_token, action=action, card_number=card_number
        )
    )
