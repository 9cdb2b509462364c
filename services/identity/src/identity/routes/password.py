"""Password recovery."""

from fastapi import APIRouter, Response, status

from identity import schemas
from identity.routes.deps import RuntimeDep
from identity.service import passwords
from kit.deps import UnitOfWorkDep
from kit.problems import problem_responses

router = APIRouter(prefix="/password", tags=["password"])


@router.post(
    "/forgot", status_code=status.HTTP_202_ACCEPTED, summary="Richiedi il link per reimpostare la password"
)
async def forgot_password(
    body: schemas.PasswordForgot, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.Accepted:
    return await passwords.forgot(session, rt, body.email)


@router.post(
    "/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Reimposta la password con il link ricevuto",
    responses=problem_responses(400),  # the link is unknown, used or expired
)
async def reset_password(body: schemas.PasswordReset, session: UnitOfWorkDep, rt: RuntimeDep) -> Response:
    await passwords.reset(session, rt, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
