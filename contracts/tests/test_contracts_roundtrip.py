"""Every event survives the trip through the envelope and JSON unchanged."""

import types
import uuid
from datetime import UTC, date, datetime
from typing import Literal, Union, get_args, get_origin

import pytest

from contracts import Envelope, Event, registry

_SAMPLES = {
    uuid.UUID: lambda i: uuid.UUID(int=i + 1),
    datetime: lambda i: datetime(2025, 3, 1, 9, 30, i % 60, 123456, tzinfo=UTC),
    date: lambda i: date(2025, 3, 1 + i % 28),
    str: lambda i: f"sample-{i}-è",
    int: lambda i: 1000 + i,
    bool: lambda i: True,
}


def _sample_value(annotation, i: int):
    origin = get_origin(annotation)
    if origin is Literal:
        return get_args(annotation)[-1]  # not the first: that is usually the default
    if origin in (Union, types.UnionType):
        return _sample_value(next(a for a in get_args(annotation) if a is not type(None)), i)
    if annotation in _SAMPLES:
        return _SAMPLES[annotation](i)
    raise TypeError(f"no sample for {annotation!r}: teach _SAMPLES about it")


def sample(cls: type[Event]) -> Event:
    return cls(
        **{name: _sample_value(info.annotation, i) for i, (name, info) in enumerate(cls.model_fields.items())}
    )


@pytest.mark.parametrize("cls", registry.ALL_EVENTS, ids=lambda c: c.routing_key())
def test_event_round_trips_through_the_envelope(cls):
    event = sample(cls)
    envelope = Envelope.wrap(event, correlation_id="corr-1", causation_id=str(uuid.uuid4()))

    received = Envelope.model_validate_json(envelope.model_dump_json())

    assert received == envelope
    assert received.routing_key == cls.routing_key()
    parsed = registry.parse_payload(received)
    assert type(parsed) is cls
    assert parsed == event
