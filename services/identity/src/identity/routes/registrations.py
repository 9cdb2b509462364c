"""Registration sessions (Fase 3)."""

from fastapi import APIRouter, status

from identity import schemas
from identity.routes.deps import ClientAddress, RegistrationToken, RuntimeDep
from identity.service import registrations
from kit.deps import UnitOfWorkDep
from kit.problems import problem_responses

router = APIRouter(prefix="/registrations", tags=["registrazione"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Inizia una registrazione",
    responses=problem_responses(409, 429),
)
async def start_registration(
    body: schemas.RegistrationStart, session: UnitOfWorkDep, rt: RuntimeDep, client_address: ClientAddress
) -> schemas.RegistrationStarted:
    return await registrations.start(session, rt, body, client_address=client_address)


@router.get(
    "/{registration_id}",
    summary="Stato della sessione di registrazione",
    description="Con sesso, data e luogo di nascita letti dal codice fiscale, da confermare.",
    responses=problem_responses(404, 410, 423),
)
async def registration_status(
    registration_id: str, token: RegistrationToken, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.RegistrationStatus:
    return await registrations.status(session, rt, registration_id, token)


@router.post(
    "/{registration_id}/otp",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Invia un nuovo codice OTP",
    responses=problem_responses(404, 410, 423, 429),
)
async def resend_otp(
    registration_id: str, token: RegistrationToken, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.RegistrationOtpResent:
    return await registrations.resend_otp(session, rt, registration_id, token)


@router.post(
    "/{registration_id}/complete",
    status_code=status.HTTP_201_CREATED,
    summary="Completa la registrazione con anagrafica e OTP",
    description="Sesso, data e luogo di nascita sono ricavati dal codice fiscale. "
    "Risponde con i token di accesso: il cittadino è già collegato.",
    responses=problem_responses(404, 409, 410, 423),
)
async def complete_registration(
    registration_id: str,
    body: schemas.RegistrationComplete,
    token: RegistrationToken,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
) -> schemas.RegistrationCompleted:
    return await registrations.complete(session, rt, registration_id, token, body)
