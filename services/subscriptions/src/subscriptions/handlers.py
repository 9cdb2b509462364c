"""The events the subscriptions service consumes: its queue is bound to exactly these."""

from kit.consumer import EventHandlers

handlers = EventHandlers()
