"""The citizen's own data: read, change contacts, move the account to a new e-mail address."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import EmailChangeRequested, ProfileChanged
from identity import schemas
from identity.domain import codes
from identity.domain.emails import email_errors, normalize_email
from identity.domain.errors import FieldError
from identity.domain.personal_details import clean_text, contact_errors, normalize_phone
from identity.domain.registration import attempts_left, is_expired, is_locked
from identity.models import Account, EmailChangeRequest
from identity.runtime import Runtime
from identity.service.auth import too_many_attempts
from identity.service.common import (
    in_use_problem,
    taken_fields,
    utcnow,
    validation_problem,
    violated_unique_fields,
)
from identity.service.registrations import otp_policy
from identity.service.throttle import account_key, address_key
from kit.auth import Principal
from kit.outbox import emit
from kit.problems import Problem

log = structlog.get_logger(__name__)

ACCOUNT_NOT_FOUND = Problem(404, "account_not_found", "Account non trovato.")
EMAIL_CHANGE_NOT_FOUND = Problem(
    404, "email_change_not_found", "Non c'è nessuna richiesta di modifica dell'indirizzo email in corso."
)
EMAIL_CHANGE_EXPIRED = Problem(
    410,
    "email_change_expired",
    "La richiesta di modifica è scaduta: richiedi di nuovo la modifica dell'email.",
)
EMAIL_CHANGE_LOCKED = Problem(
    423, "otp_locked", "Troppi tentativi errati: richiedi di nuovo la modifica dell'indirizzo email."
)


def profile_of(account: Account) -> schemas.Profile:
    return schemas.Profile(
        user_id=account.id,
        email=account.email,
        tax_code=account.tax_code,
        first_name=account.first_name,
        last_name=account.last_name,
        sex=account.sex,
        birth_date=account.birth_date,
        birth_place=account.birth_place,
        address_street=account.address_street,
        address_number=account.address_number,
        postcode=account.postcode,
        municipality=account.municipality,
        phone=account.phone,
        role=account.role,
        created_at=account.created_at,
    )


async def _account(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> Account:
    account = await session.get(Account, user_id, with_for_update=for_update)
    if account is None:
        raise ACCOUNT_NOT_FOUND
    return account


async def _profile_changed(session: AsyncSession, account: Account) -> None:
    """Staff accounts have no codice fiscale and no read model elsewhere: nothing to tell."""
    if account.role != "citizen" or account.tax_code is None:
        return
    await emit(
        session,
        ProfileChanged(
            user_id=account.id,
            email=account.email,
            tax_code=account.tax_code,
            first_name=account.first_name or "",
            last_name=account.last_name or "",
            phone=account.phone,
            birth_date=account.birth_date,
            changed_at=account.updated_at,
        ),
    )


async def get(session: AsyncSession, principal: Principal) -> schemas.Profile:
    return profile_of(await _account(session, principal.user_id))


async def update(session: AsyncSession, principal: Principal, body: schemas.ProfileUpdate) -> schemas.Profile:
    values: dict[str, str | None] = {}
    for field, value in body.model_dump(exclude_unset=True).items():
        if field == "phone":
            values[field] = normalize_phone(value) if value and value.strip() else None
        else:
            values[field] = clean_text(value) if value is not None else None
    if errors := contact_errors(values):
        raise validation_problem(errors)
    account = await _account(session, principal.user_id, for_update=True)
    changed = {k: v for k, v in values.items() if getattr(account, k) != v}
    if changed:
        for field, value in changed.items():
            setattr(account, field, value)
        account.updated_at = utcnow()
        session.add(account)
        await _profile_changed(session, account)
        await session.commit()
        log.info("profile.changed", user_id=str(account.id), fields=sorted(changed))
    return profile_of(account)


async def request_email_change(
    session: AsyncSession,
    rt: Runtime,
    principal: Principal,
    body: schemas.EmailChange,
    client_address: str,
) -> schemas.OtpResent:
    # Locked: two requests of one account at once would both replace the pending one.
    account = await _account(session, principal.user_id, for_update=True)
    now = utcnow()
    # The password is checked like a login: a stolen access token cannot guess it freely.
    keys = [account_key(account.email), address_key(client_address)]
    if wait := await rt.throttler.retry_after(session, keys, now):
        raise too_many_attempts(wait)
    valid, _ = await rt.passwords.verify(body.password, account.password_hash)
    if not valid:
        await rt.throttler.record_failure(session, keys, now)
        await session.commit()
        message = "La password non è corretta."
        raise Problem(
            422,
            "password_incorrect",
            message,
            errors=[FieldError("password", "password_incorrect", message).as_dict()],
        )
    if errors := email_errors(body.new_email, field="new_email"):
        raise validation_problem(errors)
    new_email = normalize_email(body.new_email)
    if new_email.lower() == account.email.lower():
        raise validation_problem(
            [FieldError("new_email", "email_unchanged", "Il nuovo indirizzo è uguale a quello attuale.")]
        )
    if await taken_fields(session, email=new_email, now=now):
        raise in_use_problem({"email"}, email_field="new_email")

    otp = codes.new_otp()
    request_id = uuid.uuid4()
    expires_at = now + timedelta(seconds=rt.settings.email_change_ttl_s)
    await session.exec(delete(EmailChangeRequest).where(col(EmailChangeRequest.account_id) == account.id))
    session.add(
        EmailChangeRequest(
            id=request_id,
            account_id=account.id,
            new_email=new_email,
            otp_hash=codes.digest(rt.settings.secret_bytes, f"email:{request_id}", otp),
            created_at=now,
            expires_at=expires_at,
        )
    )
    await emit(
        session,
        EmailChangeRequested(user_id=account.id, new_email=new_email, otp=otp, expires_at=expires_at),
    )
    await session.commit()
    log.info("profile.email_change_requested", user_id=str(account.id))
    return schemas.OtpResent(expires_at=expires_at)


async def confirm_email_change(
    session: AsyncSession, rt: Runtime, principal: Principal, body: schemas.EmailChangeConfirm
) -> schemas.Profile:
    request = (
        await session.exec(
            select(EmailChangeRequest)
            .where(EmailChangeRequest.account_id == principal.user_id)
            .with_for_update()
        )
    ).first()
    if request is None:
        raise EMAIL_CHANGE_NOT_FOUND
    now = utcnow()
    if is_expired(request.expires_at, now):
        raise EMAIL_CHANGE_EXPIRED
    otp = body.otp.strip()
    if not (
        codes.is_otp_shaped(otp)
        and codes.matches(rt.settings.secret_bytes, f"email:{request.id}", otp, request.otp_hash)
    ):
        policy = otp_policy(rt)
        request.otp_wrong_attempts += 1
        if is_locked(request.otp_wrong_attempts, policy):
            await session.delete(request)
            await session.commit()
            raise EMAIL_CHANGE_LOCKED
        session.add(request)
        await session.commit()
        message = (
            f"Codice OTP non valido. Tentativi rimasti: {attempts_left(request.otp_wrong_attempts, policy)}."
        )
        raise Problem(
            422, "otp_invalid", message, errors=[FieldError("otp", "otp_invalid", message).as_dict()]
        )

    if await taken_fields(session, email=request.new_email, now=now):
        raise in_use_problem({"email"}, email_field="new_email")
    account = await _account(session, principal.user_id, for_update=True)
    account.email = request.new_email
    account.updated_at = now
    try:
        session.add(account)
        await session.delete(request)
        await session.flush()
        await _profile_changed(session, account)
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        if violated_unique_fields(exc):
            raise in_use_problem({"email"}, email_field="new_email") from None
        raise
    log.info("profile.email_changed", user_id=str(account.id))
    return profile_of(account)
