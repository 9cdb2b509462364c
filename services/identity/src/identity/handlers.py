"""The events the identity service consumes: its queue is bound to exactly these (none)."""

from identity.runtime import Runtime
from kit.consumer import EventHandlers


def build_handlers(rt: Runtime) -> EventHandlers:
    return EventHandlers()
