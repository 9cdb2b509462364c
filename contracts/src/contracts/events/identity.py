"""Events published by the identity service."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from contracts.envelope import Event

Role = Literal["citizen", "operator", "admin"]


class _Identity(Event):
    producer = "identity"


class RegistrationStarted(_Identity):
    """A registration session opened: the citizen must get the OTP and the resume link."""

    type = "identity.registration.started"
    registration_id: uuid.UUID
    email: str
    otp: str = Field(description="Secret: six digits, only ever written into the e-mail")
    resume_url: str = Field(description="Secret: link that resumes the registration session")
    expires_at: datetime


class RegistrationOtpResent(_Identity):
    """The citizen asked for a new OTP within the same registration session."""

    type = "identity.registration.otp_resent"
    registration_id: uuid.UUID
    email: str
    otp: str = Field(description="Secret")
    resume_url: str = Field(description="Secret")
    expires_at: datetime


class UserRegistered(_Identity):
    type = "identity.user.registered"
    user_id: uuid.UUID
    email: str
    tax_code: str
    first_name: str
    last_name: str
    role: Role = "citizen"
    registered_at: datetime


class PasswordResetRequested(_Identity):
    type = "identity.password_reset.requested"
    user_id: uuid.UUID
    email: str
    reset_url: str = Field(description="Secret: single-use link")
    expires_at: datetime


class EmailChangeRequested(_Identity):
    """A citizen asked to move the account to a new address: the OTP goes to that address."""

    type = "identity.email_change.requested"
    user_id: uuid.UUID
    new_email: str
    otp: str = Field(description="Secret")
    expires_at: datetime


class EmailChanged(_Identity):
    """A citizen confirmed the move to a new address: the old one is told, in case it was not them."""

    type = "identity.user.email_changed"
    user_id: uuid.UUID
    old_email: str
    new_email: str
    changed_at: datetime


class PasswordChanged(_Identity):
    """The password of an account changed (from the profile or through a recovery link): the
    account's address is told, in case it was not the citizen."""

    type = "identity.password.changed"
    user_id: uuid.UUID
    email: str = Field(description="The account's address when the password changed")
    changed_at: datetime


class ProfileChanged(_Identity):
    type = "identity.user.profile_changed"
    user_id: uuid.UUID
    email: str
    tax_code: str
    first_name: str
    last_name: str
    phone: str | None = None
    birth_date: date | None = None
    changed_at: datetime


class _PersonalDetails(BaseModel):
    """What a citizen declared at registration and keeps in the profile: other services print
    it on documents (the self-certification form, invoices). Staff accounts have none."""

    sex: Literal["M", "F"] | None = None
    birth_date: date | None = None
    birth_place: str | None = None
    address_street: str | None = None
    address_number: str | None = None
    postcode: str | None = None
    municipality: str | None = None
    phone: str | None = None


class UserRegisteredV2(UserRegistered, _PersonalDetails):
    """v2 adds the personal details and the residence address."""

    type = "identity.user.registered"
    version = 2


class ProfileChangedV2(ProfileChanged, _PersonalDetails):
    """v2 carries the whole profile, residence address included."""

    type = "identity.user.profile_changed"
    version = 2
