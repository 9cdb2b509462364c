"""The events the billing service consumes: its queue is bound to exactly these."""

from billing.models import citizens
from kit.consumer import EventHandlers
from kit.readmodel import keep_citizens

handlers = EventHandlers()
keep_citizens(handlers, citizens)
