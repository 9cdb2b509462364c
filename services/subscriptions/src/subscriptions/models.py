"""Tables owned by the subscriptions service."""

from kit.models import service_base

Base = service_base()
metadata = Base.metadata
