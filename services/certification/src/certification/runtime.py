"""What the certification service builds once (``main.build_runtime``) and its routes, handlers and
jobs share."""

from __future__ import annotations

from dataclasses import dataclass, field

from certification.settings import Settings
from kit.documents import DocumentStore
from kit.runtime import ServiceRuntime


@dataclass
class Runtime(ServiceRuntime):
    settings: Settings
    # Where the requests' documents are kept (this service's database; an object store later).
    documents: DocumentStore = field(kw_only=True)
