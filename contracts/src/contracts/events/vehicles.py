"""Events published by the vehicles service."""

import uuid
from datetime import datetime

from contracts.envelope import Event


class _Vehicles(Event):
    producer = "vehicles"


class PlateRequestSubmitted(_Vehicles):
    type = "vehicles.request.submitted"
    request_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    make: str
    model: str
    submitted_at: datetime


class PlateRequestApproved(_Vehicles):
    type = "vehicles.request.approved"
    request_id: uuid.UUID
    plate_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    make: str
    model: str
    electric: bool
    decided_at: datetime


class PlateRequestRejected(_Vehicles):
    type = "vehicles.request.rejected"
    request_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    reason: str
    decided_at: datetime


class PlateDissociated(_Vehicles):
    type = "vehicles.plate.dissociated"
    plate_id: uuid.UUID
    user_id: uuid.UUID
    plate: str
    dissociated_at: datetime
