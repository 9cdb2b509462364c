"""What the vehicles service builds once (``main.build_runtime``) and its routes, handlers and
jobs share."""

from __future__ import annotations

from dataclasses import dataclass, field

from kit.documents import DatabaseDocumentStore
from kit.runtime import ServiceRuntime
from vehicles.settings import Settings


@dataclass
class Runtime(ServiceRuntime):
    settings: Settings
    # Where the requests' documents live (their own table; an object store could replace it).
    documents: DatabaseDocumentStore = field(kw_only=True)
