"""The events the vehicles service consumes: its queue is bound to exactly these."""

from kit.consumer import EventHandlers
from kit.readmodel import keep_citizens
from vehicles.models import citizens

handlers = EventHandlers()
keep_citizens(handlers, citizens)
