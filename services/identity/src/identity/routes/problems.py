"""The two answers of identity that ``kit.problems`` does not give by itself: a reset link
refused with 400 (the contract's status since the start; kit.errors has no 400 kind yet) and
no usable signing key, 503."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from identity.domain.errors import ResetLinkInvalid
from identity.tokens import SigningUnavailable
from kit.problems import problem_response


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ResetLinkInvalid)
    async def _reset_link_invalid(request: Request, exc: ResetLinkInvalid) -> JSONResponse:
        return problem_response(400, exc.code, exc.message, instance=request.url.path)

    @app.exception_handler(SigningUnavailable)
    async def _signing_unavailable(request: Request, exc: SigningUnavailable) -> JSONResponse:
        return problem_response(503, exc.code, exc.message, instance=request.url.path)
