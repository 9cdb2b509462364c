"""The signed-in user's own account."""

from fastapi import APIRouter, Response, status

from identity import schemas
from identity.routes.deps import ClientAddress, LoginSession, RuntimeDep
from identity.service import profile
from kit.deps import CurrentUser, UnitOfWorkDep
from kit.problems import problem_responses

router = APIRouter(prefix="/me", tags=["profilo"])


@router.get("", summary="I miei dati", responses=problem_responses(404))
async def my_profile(user: CurrentUser, session: UnitOfWorkDep) -> schemas.Profile:
    return await profile.get(session, user.user_id)


@router.patch("", summary="Modifica indirizzo e telefono", responses=problem_responses(404))
async def update_my_profile(
    body: schemas.ProfileUpdate, user: CurrentUser, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.Profile:
    return await profile.update(session, rt, user.user_id, body)


@router.post(
    "/email",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Chiedi di cambiare indirizzo email",
    responses=problem_responses(404, 409, 429),
)
async def request_email_change(
    body: schemas.EmailChange,
    user: CurrentUser,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    client_address: ClientAddress,
) -> schemas.OtpResent:
    return await profile.request_email_change(session, rt, user.user_id, body, client_address=client_address)


@router.post(
    "/email/confirm",
    summary="Conferma il nuovo indirizzo email con l'OTP",
    description="Termina ogni altra sessione dell'account; quella che conferma resta valida.",
    responses=problem_responses(404, 409, 410, 423),
)
async def confirm_email_change(
    body: schemas.EmailChangeConfirm,
    user: CurrentUser,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    login_session: LoginSession,
) -> schemas.Profile:
    return await profile.confirm_email_change(session, rt, user.user_id, body.otp, keep_session=login_session)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Cambia la password",
    description="Chiede la password attuale; termina ogni altra sessione dell'account, "
    "quella che cambia la password resta valida.",
    responses=problem_responses(404, 429),
)
async def change_password(
    body: schemas.PasswordChange,
    user: CurrentUser,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    client_address: ClientAddress,
    login_session: LoginSession,
) -> Response:
    await profile.change_password(
        session, rt, user.user_id, body, client_address=client_address, keep_session=login_session
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
