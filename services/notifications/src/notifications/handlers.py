"""The events the notifications service consumes: its queue is bound to exactly these."""

from kit.consumer import EventHandlers
from kit.readmodel import keep_citizens

from notifications.models import citizens

handlers = EventHandlers()
keep_citizens(handlers, citizens)
