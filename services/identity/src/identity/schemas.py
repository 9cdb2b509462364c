"""Bodies of the identity API. Only shapes and sizes here: the rules (password policy, codice
fiscale, anagrafica) are checked by the domain, which answers with one error per field."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# Generous bounds: they only stop absurd input before any work is done on it.
ShortText = Annotated[str, Field(max_length=200)]
SecretText = Annotated[str, Field(max_length=1024)]


class RegistrationStart(BaseModel):
    # Absent fields are empty: the domain then reports every missing one at once, with the
    # other fields' errors, instead of the request failing on the first missing field.
    email: str = Field(default="", max_length=320)
    tax_code: str = Field(default="", max_length=32)
    password: SecretText = ""
    password_confirmation: SecretText = ""
    privacy_accepted: bool = False
    privacy_version: str | None = Field(default=None, max_length=20)


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
    # Read from the codice fiscale, for the citizen to confirm (not typed again).
    sex: Literal["M", "F"]
    birth_date: date
    birth_place: str
    birth_province: str = Field(description='Sigla della provincia; "EE" per uno Stato estero.')
    # When another OTP may be asked for (0: now) and how many more may be.
    otp_resend_in_s: int
    otp_resends_left: int


class OtpResent(BaseModel):
    expires_at: datetime


class RegistrationOtpResent(OtpResent):
    otp_resend_in_s: int
    otp_resends_left: int


class RegistrationComplete(BaseModel):
    """The anagrafica step. Sex and birth data come from the codice fiscale; a client may still
    send them (the first version of this API asked for them): they must then agree with it.
    Absent fields are empty, so that every error is reported at once."""

    otp: str = Field(default="", max_length=20)
    first_name: ShortText = ""
    last_name: ShortText = ""
    sex: str | None = Field(default=None, max_length=10)
    birth_date: date | None = None
    birth_place: ShortText | None = None
    address_street: ShortText = ""
    address_number: str = Field(default="", max_length=50)
    postcode: str = Field(default="", max_length=20)
    municipality: ShortText = ""
    phone: str | None = Field(default=None, max_length=50)


class UserCreated(BaseModel):
    user_id: uuid.UUID


class Login(BaseModel):
    email: str = Field(max_length=320)
    password: SecretText


class RefreshRequest(BaseModel):
    refresh_token: str = Field(max_length=200)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    role: str


class RegistrationCompleted(TokenPair):
    """The new account, signed in: completing proves the e-mail (OTP) and the password was
    set at the start, so the citizen is not asked for it again."""

    user_id: uuid.UUID


class PasswordChange(BaseModel):
    current_password: SecretText = ""
    password: SecretText = ""
    password_confirmation: SecretText = ""


class PasswordForgot(BaseModel):
    email: str = Field(max_length=320)


class Accepted(BaseModel):
    detail: str


class PasswordReset(BaseModel):
    token: str = Field(max_length=200)
    password: SecretText
    password_confirmation: SecretText


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


class ProfileUpdate(BaseModel):
    """Only the contact fields: names, sex and birth data are bound to the codice fiscale."""

    model_config = ConfigDict(extra="forbid")

    address_street: ShortText | None = None
    address_number: str | None = Field(default=None, max_length=50)
    postcode: str | None = Field(default=None, max_length=20)
    municipality: ShortText | None = None
    phone: str | None = Field(default=None, max_length=50)


class EmailChange(BaseModel):
    new_email: str = Field(max_length=320)
    password: SecretText


class EmailChangeConfirm(BaseModel):
    otp: str = Field(max_length=20)


class AccountSummary(BaseModel):
    user_id: uuid.UUID
    email: str
    tax_code: str | None
    first_name: str | None
    last_name: str | None
    role: str
    created_at: datetime


class RatingCreate(BaseModel):
    stars: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)
    page: str | None = Field(default=None, max_length=200)


class Rating(BaseModel):
    rating_id: uuid.UUID
    stars: int
    comment: str | None
    page: str | None
    created_at: datetime
