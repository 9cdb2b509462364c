"""Tables owned by the vehicles service."""

from kit.models import service_base

Base = service_base()
metadata = Base.metadata

from kit.readmodel import citizens_table  # noqa: E402

citizens = citizens_table(metadata)
