"""Tables owned by the subscriptions service."""

import uuid
from datetime import date, datetime

from sqlalchemy import Column, DateTime, func
from sqlmodel import Field

from kit.models import service_base

Base = service_base()
metadata = Base.metadata


class CitizenCertification(Base, table=True):
    """Read model: a citizen's approved residency certifications (from certification events)."""

    __tablename__ = "citizen_certifications"

    certification_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    sector_code: str = Field(max_length=20)
    sector_name: str = Field(max_length=120)
    valid_from: date
    valid_until: date
    expired: bool = False
    updated_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )


class CitizenPlate(Base, table=True):
    """Read model: a citizen's associated plates (from vehicles events)."""

    __tablename__ = "citizen_plates"

    plate_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    plate: str = Field(max_length=10, index=True)
    make: str = Field(max_length=60)
    model: str = Field(max_length=60)
    electric: bool = False
    active: bool = True
    updated_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
