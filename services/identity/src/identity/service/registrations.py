"""Registration (Fase 3): a session holds the e-mail and the codice fiscale while the citizen
proves the address with an OTP and fills in the anagrafica."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import RegistrationOtpResent, RegistrationStarted, UserRegisteredV2
from identity import schemas
from identity.domain import codes, errors
from identity.domain.emails import email_errors, normalize_email
from identity.domain.passwords import new_password_errors
from identity.domain.personal_details import (
    clean_text,
    contact_errors,
    normalize_phone,
    personal_details,
    personal_details_errors,
)
from identity.domain.registration import (
    OtpPolicy,
    attempts_left,
    is_expired,
    is_locked,
    privacy_errors,
    resend_wait_s,
    seconds_left,
)
from identity.domain.tax_code import (
    DeclaredDetails,
    birth_details,
    normalize_tax_code,
    tax_code_errors,
    tax_code_mismatches,
)
from identity.models import Account, RegistrationSession
from identity.repository import in_use_refusals, taken_fields
from identity.runtime import Runtime
from identity.service.auth import issue_tokens
from identity.throttle import RegistrationLimiter
from kit.errors import DomainError, FieldError, Invalid
from kit.outbox import emit
from kit.uow import flush_unique

log = structlog.get_logger(__name__)


def otp_policy(rt: Runtime) -> OtpPolicy:
    s = rt.settings
    return OtpPolicy(s.otp_max_attempts, timedelta(seconds=s.otp_resend_interval_s), s.otp_resend_max)


def resume_url(rt: Runtime, registration_id: uuid.UUID, resume_token: str) -> str:
    base = rt.settings.public_base_url.rstrip("/")
    return f"{base}/registrazione/{registration_id}?t={resume_token}"


async def start(
    session: AsyncSession, rt: Runtime, command: schemas.RegistrationStart, *, client_address: str
) -> schemas.RegistrationStarted:
    problems = [
        *email_errors(command.email),
        *tax_code_errors(command.tax_code),
        *new_password_errors(command.password, command.password_confirmation),
        *privacy_errors(command.privacy_accepted, command.privacy_version, rt.settings.privacy_version),
    ]
    if problems:
        raise Invalid(problems)
    email = normalize_email(command.email)
    tax_code = normalize_tax_code(command.tax_code)
    now = rt.clock.now()
    # Before any e-mail: a mailbox receives a few registration e-mails a day, an address
    # starts a few registrations an hour (each one more OTP to guess).
    limiter = RegistrationLimiter(rt.settings)
    if wait := await limiter.retry_after(session, now, email=email, client_address=client_address):
        log.info("registration.throttled", client_address=client_address, retry_after=wait)
        raise errors.too_many_registrations(wait)
    password_hash = await rt.passwords.hash(command.password)

    # An expired or locked session no longer holds its e-mail and codice fiscale (this delete
    # is rolled back with the rest when the registration is refused below).
    await session.exec(
        delete(RegistrationSession)
        .where(
            or_(
                func.lower(RegistrationSession.email) == email.lower(),
                func.upper(RegistrationSession.tax_code) == tax_code,
            )
        )
        .where(or_(RegistrationSession.expires_at <= now, col(RegistrationSession.locked_at).is_not(None)))
    )
    if taken := await taken_fields(session, email=email, tax_code=tax_code, now=now):
        raise errors.in_use(taken)

    registration_id = uuid.uuid4()
    otp, resume_token = codes.new_otp(), codes.new_token()
    key = rt.settings.secret_bytes
    registration = RegistrationSession(
        id=registration_id,
        email=email,
        tax_code=tax_code,
        password_hash=password_hash,
        privacy_version=rt.settings.privacy_version,
        privacy_accepted_at=now,
        resume_token_hash=codes.digest(key, f"resume:{registration_id}", resume_token),
        otp_hash=codes.digest(key, f"otp:{registration_id}", otp),
        otp_sent_at=now,
        created_at=now,
        expires_at=now + timedelta(seconds=rt.settings.registration_ttl_s),
    )
    session.add(registration)
    # The unique indexes decide between two registrations racing for the same address.
    await flush_unique(session, in_use_refusals())
    await limiter.record(session, now, email=email, client_address=client_address)
    await emit(
        session,
        RegistrationStarted(
            registration_id=registration_id,
            email=email,
            otp=otp,
            resume_url=resume_url(rt, registration_id, resume_token),
            expires_at=registration.expires_at,
        ),
    )
    log.info("registration.started", registration_id=str(registration_id))
    return schemas.RegistrationStarted(
        registration_id=registration_id,
        resume_token=resume_token,
        expires_at=registration.expires_at,
        email=email,
    )


async def _live_session(
    session: AsyncSession, rt: Runtime, registration_id: str, resume_token: str, *, for_update: bool = False
) -> RegistrationSession:
    try:
        sid = uuid.UUID(registration_id)
    except ValueError:
        raise errors.registration_not_found() from None
    query = select(RegistrationSession).where(RegistrationSession.id == sid)
    if for_update:
        query = query.with_for_update()
    registration = (await session.exec(query)).first()
    if (
        registration is None
        or not resume_token
        or not codes.matches(
            rt.settings.secret_bytes, f"resume:{sid}", resume_token, registration.resume_token_hash
        )
    ):
        raise errors.registration_not_found()
    if is_expired(registration.expires_at, rt.clock.now()):
        raise errors.registration_expired()
    if registration.locked_at is not None:
        raise errors.registration_locked()
    return registration


async def status(
    session: AsyncSession, rt: Runtime, registration_id: str, resume_token: str
) -> schemas.RegistrationStatus:
    registration = await _live_session(session, rt, registration_id, resume_token)
    now = rt.clock.now()
    born = birth_details(registration.tax_code, now.date())
    return schemas.RegistrationStatus(
        registration_id=registration.id,
        email=registration.email,
        tax_code=registration.tax_code,
        expires_at=registration.expires_at,
        seconds_left=seconds_left(registration.expires_at, now),
        sex=born.sex,
        birth_date=born.birth_date,
        birth_place=born.birth_place,
        birth_province=born.birth_province,
        **_resend_state(rt, registration, now),
    )


def _resend_state(rt: Runtime, registration: RegistrationSession, now: datetime) -> dict[str, int]:
    wait = resend_wait_s(
        last_sent_at=registration.otp_sent_at,
        resends=registration.otp_resends,
        expires_at=registration.expires_at,
        now=now,
        policy=otp_policy(rt),
    )
    return {
        "otp_resend_in_s": wait or 0,
        "otp_resends_left": max(0, rt.settings.otp_resend_max - registration.otp_resends),
    }


async def resend_otp(
    session: AsyncSession, rt: Runtime, registration_id: str, resume_token: str
) -> schemas.RegistrationOtpResent:
    registration = await _live_session(session, rt, registration_id, resume_token, for_update=True)
    now = rt.clock.now()
    wait = resend_wait_s(
        last_sent_at=registration.otp_sent_at,
        resends=registration.otp_resends,
        expires_at=registration.expires_at,
        now=now,
        policy=otp_policy(rt),
    )
    if wait is not None:
        raise errors.otp_resend_too_soon(
            wait, resends_used_up=registration.otp_resends >= rt.settings.otp_resend_max
        )
    # A new OTP is one more e-mail to the mailbox: within the mailbox's cap too.
    limiter = RegistrationLimiter(rt.settings)
    if mailbox_wait := await limiter.retry_after(session, now, email=registration.email):
        raise errors.too_many_registrations(mailbox_wait)
    otp = codes.new_otp()
    registration.otp_hash = codes.digest(rt.settings.secret_bytes, f"otp:{registration.id}", otp)
    registration.otp_sent_at = now
    registration.otp_resends += 1
    session.add(registration)
    await limiter.record(session, now, email=registration.email)
    await emit(
        session,
        RegistrationOtpResent(
            registration_id=registration.id,
            email=registration.email,
            otp=otp,
            resume_url=resume_url(rt, registration.id, resume_token),
            expires_at=registration.expires_at,
        ),
    )
    log.info("registration.otp_resent", registration_id=str(registration.id))
    return schemas.RegistrationOtpResent(
        expires_at=registration.expires_at, **_resend_state(rt, registration, now)
    )


# The anagrafica form's order: the error list reads as the page does.
_FIELD_ORDER = (
    "first_name",
    "last_name",
    "sex",
    "birth_date",
    "birth_place",
    "address_street",
    "address_number",
    "postcode",
    "municipality",
    "phone",
    "otp",
)


def _in_form_order(problems: list[FieldError]) -> list[FieldError]:
    return sorted(problems, key=lambda p: _FIELD_ORDER.index(p.field) if p.field in _FIELD_ORDER else 99)


def _otp_matches(rt: Runtime, registration: RegistrationSession, otp: str) -> bool:
    return codes.is_otp_shaped(otp) and codes.matches(
        rt.settings.secret_bytes, f"otp:{registration.id}", otp, registration.otp_hash
    )


async def _refuse_wrong_otp(
    session: AsyncSession, rt: Runtime, registration: RegistrationSession, others: list[FieldError]
) -> DomainError:
    """Counts a wrong OTP (which may lock the session); the refusal keeps that count and
    nothing else (``keep_changes``), and names the other fields' errors too."""
    policy = otp_policy(rt)
    registration.otp_wrong_attempts += 1
    locked = is_locked(registration.otp_wrong_attempts, policy)
    if locked:
        # A locked session frees its e-mail and codice fiscale for a new registration.
        registration.locked_at = rt.clock.now()
    session.add(registration)
    log.info("registration.otp_wrong", registration_id=str(registration.id), locked=locked)
    if locked:
        return errors.registration_locked(keep_changes=True)
    left = attempts_left(registration.otp_wrong_attempts, policy)
    return errors.otp_invalid(left, others=_in_form_order(others), keep_changes=True)


async def complete(
    session: AsyncSession,
    rt: Runtime,
    registration_id: str,
    resume_token: str,
    command: schemas.RegistrationComplete,
) -> schemas.RegistrationCompleted:
    """Every error at once: the anagrafica's, the disagreements with the codice fiscale and
    the OTP's. A wrong OTP is counted whatever else is wrong; a missing one is not a guess."""
    registration = await _live_session(session, rt, registration_id, resume_token, for_update=True)
    now = rt.clock.now()
    born = birth_details(registration.tax_code, now.date())
    declared = DeclaredDetails(
        last_name=clean_text(command.last_name),
        first_name=clean_text(command.first_name),
        sex=command.sex.strip().upper() if command.sex and command.sex.strip() else None,
        birth_date=command.birth_date,
        birth_place=clean_text(command.birth_place) if command.birth_place else None,
    )
    contact = {
        "address_street": clean_text(command.address_street),
        "address_number": clean_text(command.address_number),
        "postcode": clean_text(command.postcode),
        "municipality": clean_text(command.municipality),
        "phone": normalize_phone(command.phone) if command.phone and command.phone.strip() else None,
    }
    problems = [
        *personal_details_errors(
            first_name=declared.first_name,
            last_name=declared.last_name,
            sex=declared.sex,
            birth_date=declared.birth_date,
            birth_place=declared.birth_place,
            today=now.date(),
        ),
        *contact_errors(contact),
    ]
    # A field already refused (an empty name) is not also said to disagree with the code.
    refused = {p.field for p in problems}
    mismatches = [m for m in tax_code_mismatches(registration.tax_code, declared) if m.field not in refused]

    otp = command.otp.strip()
    if not otp:
        problems.append(FieldError("otp", "required", "Inserisci il codice OTP ricevuto via email."))
    elif not _otp_matches(rt, registration, otp):
        raise await _refuse_wrong_otp(session, rt, registration, problems + mismatches)
    if problems:
        raise Invalid(_in_form_order(problems + mismatches))
    if mismatches:
        raise errors.tax_code_mismatch(mismatches)

    account = Account(
        email=registration.email,
        tax_code=registration.tax_code,
        password_hash=registration.password_hash,
        role="citizen",
        first_name=declared.first_name,
        last_name=declared.last_name,
        sex=born.sex,
        # A client that sent the birth date knows its century; otherwise the code's reading.
        birth_date=declared.birth_date or born.birth_date,
        birth_place=born.birth_place or declared.birth_place,
        privacy_version=registration.privacy_version,
        privacy_accepted_at=registration.privacy_accepted_at,
        created_at=now,
        updated_at=now,
        password_changed_at=now,
        **contact,
    )
    session.add(account)
    await session.delete(registration)
    # An account written meanwhile with the same address or code: refused, and the session
    # stays as it was (the unit of work rolls back the account and the delete).
    await flush_unique(session, in_use_refusals())
    await emit(
        session,
        UserRegisteredV2(
            user_id=account.id,
            email=account.email,
            tax_code=account.tax_code or "",
            first_name=account.first_name or "",
            last_name=account.last_name or "",
            role="citizen",
            registered_at=now,
            **personal_details(account),
        ),
    )
    # Signed in at once: the OTP proved the address, the password was chosen at the start.
    tokens = await issue_tokens(session, rt, account, family_id=uuid.uuid4(), now=now)
    log.info("registration.completed", registration_id=str(registration.id), user_id=str(account.id))
    return schemas.RegistrationCompleted(user_id=account.id, **tokens.model_dump())
