"""The envelope every event travels in, and the base class of every payload."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Event(BaseModel):
    """Base of every event payload.

    Subclasses set ``type`` (``<producer>.<entity>.<fact>``) and ``version``. A change that
    would break a consumer of an existing version needs a new class with a new version.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    version: ClassVar[int] = 1
    producer: ClassVar[str]

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.type}.v{cls.version}"


class Envelope(BaseModel):
    """Transport wrapper: identical for every event, so routing and dedup never parse payloads."""

    model_config = ConfigDict(extra="ignore")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str
    causation_id: str | None = None
    payload: dict[str, Any]

    @property
    def routing_key(self) -> str:
        return f"{self.type}.v{self.version}"

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        correlation_id: str,
        causation_id: str | None = None,
    ) -> Envelope:
        return cls(
            type=event.type,
            version=event.version,
            producer=event.producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=event.model_dump(mode="json"),
        )
