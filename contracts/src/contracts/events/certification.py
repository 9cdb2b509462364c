"""Events published by the certification service."""

import uuid
from datetime import date, datetime

from contracts.envelope import Event


class _Certification(Event):
    producer = "certification"


class CertificationRequestSubmitted(_Certification):
    type = "certification.request.submitted"
    request_id: uuid.UUID
    user_id: uuid.UUID
    sector_code: str
    submitted_at: datetime


class CertificationRequestApproved(_Certification):
    type = "certification.request.approved"
    request_id: uuid.UUID
    certification_id: uuid.UUID
    user_id: uuid.UUID
    sector_code: str
    sector_name: str
    valid_from: date
    valid_until: date
    decided_at: datetime


class CertificationRequestRejected(_Certification):
    type = "certification.request.rejected"
    request_id: uuid.UUID
    user_id: uuid.UUID
    sector_code: str
    reason: str
    decided_at: datetime


class CertificationExpired(_Certification):
    type = "certification.certification.expired"
    certification_id: uuid.UUID
    user_id: uuid.UUID
    sector_code: str
    expired_on: date
