"""Tables owned by the subscriptions service."""

import uuid
from datetime import date, datetime

from sqlalchemy import Column, DateTime, func
from sqlmodel import Field

from kit.models import service_base
from kit.readmodel import version_column

Base = service_base()
metadata = Base.metadata


class CitizenCertification(Base, table=True):
    """Read model: a citizen's approved residency certifications (from certification events).

    The approval's details are facts, nullable only while an expiry delivered before its
    approval waits for them; ``expired`` is state, kept from the newest event."""

    __tablename__ = "citizen_certifications"

    certification_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    sector_code: str = Field(max_length=20)
    sector_name: str | None = Field(default=None, max_length=120)
    valid_from: date | None = None
    valid_until: date | None = None
    expired: bool = False
    updated_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    source_version: datetime = Field(sa_column=version_column())


class CitizenPlate(Base, table=True):
    """Read model: a citizen's associated plates (from vehicles events); ``active`` is state."""

    __tablename__ = "citizen_plates"

    plate_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    plate: str = Field(max_length=10, index=True)
    make: str | None = Field(default=None, max_length=60)
    model: str | None = Field(default=None, max_length=60)
    electric: bool | None = None
    active: bool = True
    updated_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    source_version: datetime = Field(sa_column=version_column())
