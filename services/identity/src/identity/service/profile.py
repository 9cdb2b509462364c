"""The citizen's own data: read, change contacts, move the account to a new e-mail address,
change the password."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import EmailChanged, EmailChangeRequested, PasswordChanged, ProfileChangedV2
from identity import schemas
from identity.domain import codes, errors
from identity.domain.emails import email_errors, normalize_email
from identity.domain.passwords import new_password_errors, normalize_password
from identity.domain.personal_details import clean_text, contact_errors, normalize_phone, personal_details
from identity.domain.registration import attempts_left, is_expired, is_locked
from identity.models import Account, EmailChangeRequest
from identity.repository import in_use_refusals, taken_fields
from identity.runtime import Runtime
from identity.service.auth import revoke_others
from identity.service.passwords import set_password
from identity.service.registrations import otp_policy
from kit.errors import FieldError, Invalid
from kit.outbox import emit
from kit.uow import flush_unique

log = structlog.get_logger(__name__)


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
        raise errors.account_not_found()
    return account


async def _profile_changed(session: AsyncSession, account: Account) -> None:
    """Staff accounts have no codice fiscale and no read model elsewhere: nothing to tell."""
    if account.role != "citizen" or account.tax_code is None:
        return
    await emit(
        session,
        ProfileChangedV2(
            user_id=account.id,
            email=account.email,
            tax_code=account.tax_code,
            first_name=account.first_name or "",
            last_name=account.last_name or "",
            changed_at=account.updated_at,
            **personal_details(account),
        ),
    )


async def get(session: AsyncSession, user_id: uuid.UUID) -> schemas.Profile:
    return profile_of(await _account(session, user_id))


async def update(
    session: AsyncSession, rt: Runtime, user_id: uuid.UUID, command: schemas.ProfileUpdate
) -> schemas.Profile:
    values: dict[str, str | None] = {}
    for field, value in command.model_dump(exclude_unset=True).items():
        if field == "phone":
            values[field] = normalize_phone(value) if value and value.strip() else None
        else:
            values[field] = clean_text(value) if value is not None else None
    if problems := contact_errors(values):
        raise Invalid(problems)
    account = await _account(session, user_id, for_update=True)
    changed = {k: v for k, v in values.items() if getattr(account, k) != v}
    if changed:
        for field, value in changed.items():
            setattr(account, field, value)
        account.updated_at = rt.clock.now()
        session.add(account)
        await _profile_changed(session, account)
        log.info("profile.changed", user_id=str(account.id), fields=sorted(changed))
    return profile_of(account)


async def request_email_change(
    session: AsyncSession,
    rt: Runtime,
    user_id: uuid.UUID,
    command: schemas.EmailChange,
    *,
    client_address: str,
) -> schemas.OtpResent:
    # Locked: two requests of one account at once would both replace the pending one.
    account = await _account(session, user_id, for_update=True)
    now = rt.clock.now()
    # The password is checked like a login: a stolen access token cannot guess it freely.
    if wait := await rt.throttler.retry_after(session, account.email, client_address, now):
        raise errors.too_many_attempts(wait)
    valid, _ = await rt.passwords.verify(command.password, account.password_hash)
    if not valid:
        # Nothing else is written before this point: the refusal keeps only the failure count.
        await rt.throttler.record_failure(session, account.email, client_address, now)
        raise errors.password_incorrect(keep_changes=True)
    if problems := email_errors(command.new_email, field="new_email"):
        raise Invalid(problems)
    new_email = normalize_email(command.new_email)
    if new_email.lower() == account.email.lower():
        raise errors.email_unchanged()
    if await taken_fields(session, email=new_email, now=now):
        raise errors.in_use({"email"}, email_field="new_email")

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
    log.info("profile.email_change_requested", user_id=str(account.id))
    return schemas.OtpResent(expires_at=expires_at)


async def confirm_email_change(
    session: AsyncSession,
    rt: Runtime,
    user_id: uuid.UUID,
    otp: str,
    *,
    keep_session: uuid.UUID | None = None,
) -> schemas.Profile:
    """Moves the account to the confirmed address, tells the old one (``EmailChanged``) and
    ends every other login: all refresh-token families of the account but ``keep_session``,
    the one that confirms (all of them when it is not known)."""
    request = (
        await session.exec(
            select(EmailChangeRequest).where(EmailChangeRequest.account_id == user_id).with_for_update()
        )
    ).first()
    if request is None:
        raise errors.email_change_not_found()
    now = rt.clock.now()
    if is_expired(request.expires_at, now):
        raise errors.email_change_expired()
    otp = otp.strip()
    if not (
        codes.is_otp_shaped(otp)
        and codes.matches(rt.settings.secret_bytes, f"email:{request.id}", otp, request.otp_hash)
    ):
        # Nothing else is written before this point: the refusal keeps only the attempt (or
        # the deletion of the request it locks).
        policy = otp_policy(rt)
        request.otp_wrong_attempts += 1
        if is_locked(request.otp_wrong_attempts, policy):
            await session.delete(request)
            raise errors.email_change_locked(keep_changes=True)
        session.add(request)
        raise errors.otp_invalid(attempts_left(request.otp_wrong_attempts, policy), keep_changes=True)

    if await taken_fields(session, email=request.new_email, now=now):
        raise errors.in_use({"email"}, email_field="new_email")
    account = await _account(session, user_id, for_update=True)
    old_email = account.email
    account.email = request.new_email
    account.updated_at = now
    session.add(account)
    await session.delete(request)
    await flush_unique(session, in_use_refusals(email_field="new_email"))
    await revoke_others(session, account.id, keep_session, now)
    await emit(
        session,
        EmailChanged(user_id=account.id, old_email=old_email, new_email=account.email, changed_at=now),
    )
    await _profile_changed(session, account)
    log.info("profile.email_changed", user_id=str(account.id), kept_session=keep_session is not None)
    return profile_of(account)


async def change_password(
    session: AsyncSession,
    rt: Runtime,
    user_id: uuid.UUID,
    command: schemas.PasswordChange,
    *,
    client_address: str,
    keep_session: uuid.UUID | None = None,
) -> None:
    """The current password proves the person (a stolen access token alone cannot change it);
    the new one follows the registration's policy. As after a reset, whoever knew the old
    password is logged out: every login ends but ``keep_session``, the one that changes it,
    and the reset links still open stop working."""
    account = await _account(session, user_id, for_update=True)
    now = rt.clock.now()
    # Checked like a login: a stolen access token cannot guess the password freely.
    if wait := await rt.throttler.retry_after(session, account.email, client_address, now):
        raise errors.too_many_attempts(wait)
    if not command.current_password:
        problems = [FieldError("current_password", "required", "Inserisci la password attuale.")]
        raise Invalid(problems + new_password_errors(command.password, command.password_confirmation))
    valid, _ = await rt.passwords.verify(command.current_password, account.password_hash)
    if not valid:
        # Nothing else is written before this point: the refusal keeps only the failure count.
        await rt.throttler.record_failure(session, account.email, client_address, now)
        raise errors.password_incorrect(
            field="current_password",
            others=new_password_errors(command.password, command.password_confirmation),
            keep_changes=True,
        )
    problems = new_password_errors(command.password, command.password_confirmation)
    if not problems and normalize_password(command.password) == normalize_password(command.current_password):
        message = "La nuova password deve essere diversa da quella attuale."
        problems = [FieldError("password", "password_unchanged", message)]
    if problems:
        raise Invalid(problems)
    await set_password(session, rt, account, command.password, now)
    await revoke_others(session, account.id, keep_session, now)
    await rt.throttler.forget_account(session, account.email)
    # The account's address is told, in case it was not the citizen (notifications).
    await emit(session, PasswordChanged(user_id=account.id, email=account.email, changed_at=now))
    log.info("profile.password_changed", user_id=str(account.id), kept_session=keep_session is not None)
