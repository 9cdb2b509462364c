"""Billing's additions to the kit's problem responses: a provider that does not answer is a
503 the citizen can retry, never a 500."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from billing.provider import ProviderUnavailable
from kit.problems import problem_response


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProviderUnavailable)
    async def _provider_unavailable(request: Request, exc: ProviderUnavailable) -> JSONResponse:
        return problem_response(
            503,
            "payment_provider_unavailable",
            "Il servizio di pagamento non è al momento disponibile: riprova tra qualche minuto.",
            instance=request.url.path,
            headers={"Retry-After": "60"},
        )
