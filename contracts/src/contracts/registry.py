"""Lookup of event classes by routing key, built from every subclass of Event."""

from contracts import events as _events  # noqa: F401  (registers every event class)
from contracts.envelope import Envelope, Event


def _leaf_events(cls: type[Event] = Event) -> list[type[Event]]:
    found: list[type[Event]] = []
    for sub in cls.__subclasses__():
        if "type" in sub.__dict__:
            found.append(sub)
        found.extend(_leaf_events(sub))
    return found


ALL_EVENTS: tuple[type[Event], ...] = tuple(sorted(_leaf_events(), key=lambda c: c.routing_key()))
BY_ROUTING_KEY: dict[str, type[Event]] = {c.routing_key(): c for c in ALL_EVENTS}

if len(BY_ROUTING_KEY) != len(ALL_EVENTS):  # pragma: no cover - guards a programming error
    raise RuntimeError("two event classes share a type and version")


def parse_payload(envelope: Envelope) -> Event:
    """The typed payload of an envelope; KeyError for an event this build does not know."""
    return BY_ROUTING_KEY[envelope.routing_key].model_validate(envelope.payload)
