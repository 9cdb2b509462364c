"""The events the certification service consumes: its queue is bound to exactly these. Each
handler's name is its inbox key: keep it when moving or renaming the function."""

from certification.models import citizens
from certification.runtime import Runtime
from kit.consumer import EventHandlers
from kit.readmodel import keep_citizens


def build_handlers(rt: Runtime) -> EventHandlers:
    handlers = EventHandlers()
    keep_citizens(handlers, citizens)
    return handlers
