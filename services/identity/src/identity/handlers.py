"""The events the identity service consumes: its queue is bound to exactly these."""

from kit.consumer import EventHandlers

handlers = EventHandlers()
