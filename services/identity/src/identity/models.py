"""Tables owned by the identity service."""

from kit.models import service_base

Base = service_base()
metadata = Base.metadata
