"""The identity service (`/api/identity`): registration, login and tokens, password recovery,
the citizen's profile, the operators' account search. Shapes follow
`services/identity/src/identity/schemas.py`; bodies the portal sends leave out what the citizen
left empty, so that identity answers "Campo obbligatorio." next to the field."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import httpx
from pydantic import BaseModel

from portal.api import call, parse
from portal.clients.base import Page, ServiceClient

PREFIX = "/api/identity"


# --- what the portal sends -------------------------------------------------------------------


class _Body(BaseModel):
    def body(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True)


class RegistrationStart(_Body):
    email: str | None = None
    tax_code: str | None = None
    # Passwords exactly as typed: spaces may be part of them.
    password: str
    password_confirmation: str
    privacy_accepted: bool
    privacy_version: str


class RegistrationDetails(_Body):
    """The anagrafica as typed and the OTP. Sex and birth data are not sent: identity reads
    them from the codice fiscale (the page shows them for confirmation)."""

    otp: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address_street: str | None = None
    address_number: str | None = None
    postcode: str | None = None
    municipality: str | None = None
    phone: str | None = None


class ContactsUpdate(_Body):
    """All five fields every time: an empty one clears it (the phone is optional)."""

    phone: str
    address_street: str
    address_number: str
    postcode: str
    municipality: str


# --- what identity answers -------------------------------------------------------------------


class RegistrationStarted(BaseModel):
    registration_id: uuid.UUID
    resume_token: str
    expires_at: datetime
    email: str


class RegistrationStatus(BaseModel):
    registration_id: uuid.UUID
    email: str
    tax_code: str
    expires_at: datetime
    seconds_left: int
    # What the codice fiscale says ("EE": born abroad); when a new OTP may be asked for.
    sex: str | None = None
    birth_date: date | None = None
    birth_place: str | None = None
    birth_province: str | None = None
    otp_resend_in_s: int | None = None
    otp_resends_left: int | None = None


class OtpResent(BaseModel):
    otp_resend_in_s: int | None = None
    otp_resends_left: int | None = None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int
    role: str


class RegistrationCompleted(TokenPair):
    """The new account and its first login: identity signs the citizen in on completion."""

    user_id: uuid.UUID


class Profile(BaseModel):
    user_id: uuid.UUID
    email: str
    tax_code: str | None
    first_name: str | None
    last_name: str | None
    sex: str | None
    birth_date: date | None
    birth_place: str | None
    address_street: str | None
    address_number: str | None
    postcode: str | None
    municipality: str | None
    phone: str | None
    role: str
    created_at: datetime


class AccountSummary(BaseModel):
    user_id: uuid.UUID
    email: str
    tax_code: str | None
    first_name: str | None
    last_name: str | None
    role: str
    created_at: datetime


class Rating(BaseModel):
    """A "Valuta questo servizio" answer."""

    rating_id: uuid.UUID
    stars: int
    comment: str | None
    page: str | None
    created_at: datetime


# --- the calls -------------------------------------------------------------------------------


def _registration(registration_id: str, token: str) -> tuple[str, dict[str, str]]:
    # The resume token proves the registration session: there is no user yet.
    return f"{PREFIX}/registrations/{registration_id}", {"X-Registration-Token": token}


async def refresh_tokens(api: httpx.AsyncClient, refresh_token: str) -> TokenPair:
    """A new token pair. Called by `auth.RefreshCoordinator`, which shares one refresh among
    the pages of a browser, hence the plain HTTP client instead of a page's."""
    response = await call(api, "POST", f"{PREFIX}/auth/refresh", json={"refresh_token": refresh_token})
    return parse(TokenPair, response)


class IdentityClient(ServiceClient):
    # Registration

    async def start_registration(self, start: RegistrationStart) -> RegistrationStarted:
        response = await self._call("POST", f"{PREFIX}/registrations", json=start.body())
        return parse(RegistrationStarted, response)

    async def registration(self, registration_id: str, token: str) -> RegistrationStatus:
        path, headers = _registration(registration_id, token)
        return parse(RegistrationStatus, await self._call("GET", path, headers=headers))

    async def resend_otp(self, registration_id: str, token: str) -> OtpResent:
        path, headers = _registration(registration_id, token)
        return parse(OtpResent, await self._call("POST", f"{path}/otp", headers=headers))

    async def complete_registration(
        self, registration_id: str, token: str, details: RegistrationDetails
    ) -> RegistrationCompleted:
        path, headers = _registration(registration_id, token)
        response = await self._call("POST", f"{path}/complete", json=details.body(), headers=headers)
        return parse(RegistrationCompleted, response)

    # Login and logout

    async def login(self, email: str, password: str) -> TokenPair:
        body = {"email": email, "password": password}
        return parse(TokenPair, await self._call("POST", f"{PREFIX}/auth/login", json=body))

    async def logout(self, refresh_token: str) -> None:
        await self._call("POST", f"{PREFIX}/auth/logout", json={"refresh_token": refresh_token})

    # Password recovery

    async def forgot_password(self, email: str) -> None:
        await self._call("POST", f"{PREFIX}/password/forgot", json={"email": email})

    async def reset_password(self, token: str, password: str, password_confirmation: str) -> None:
        body = {"token": token, "password": password, "password_confirmation": password_confirmation}
        await self._call("POST", f"{PREFIX}/password/reset", json=body)

    # The logged-in user's profile

    async def me(self) -> Profile:
        # Every page already asked for it once (portal.deps.load_session_user).
        cached = getattr(self._request.state, "profile", None)
        if cached is not None:
            return cached
        return await self._user_get(Profile, f"{PREFIX}/me")

    async def update_contacts(self, contacts: ContactsUpdate) -> None:
        await self._user_call("PATCH", f"{PREFIX}/me", json=contacts.body())
        self._request.state.profile = None  # read again after the change

    async def request_email_change(self, new_email: str, password: str) -> None:
        body = {"new_email": new_email, "password": password}
        await self._user_call("POST", f"{PREFIX}/me/email", json=body)

    async def confirm_email_change(self, otp: str) -> Profile:
        return await self._user_post(Profile, f"{PREFIX}/me/email/confirm", json={"otp": otp})

    async def change_password(self, current_password: str, password: str, password_confirmation: str) -> None:
        body = {
            "current_password": current_password,
            "password": password,
            "password_confirmation": password_confirmation,
        }
        await self._user_call("POST", f"{PREFIX}/me/password", json=body)

    # Operators and admins

    async def search_accounts(self, query: str) -> Page[AccountSummary]:
        return await self._user_get(Page[AccountSummary], f"{PREFIX}/admin/users", params={"q": query})

    # The service rating: anyone leaves one; admins read them.

    async def rate_service(self, stars: int, comment: str | None, page: str | None) -> None:
        body = {"stars": stars, "comment": comment, "page": page}
        await self._call("POST", f"{PREFIX}/ratings", json={k: v for k, v in body.items() if v is not None})

    async def ratings(self, limit: int, offset: int) -> Page[Rating]:
        params = {"limit": limit, "offset": offset}
        return await self._user_get(Page[Rating], f"{PREFIX}/admin/ratings", params=params)
