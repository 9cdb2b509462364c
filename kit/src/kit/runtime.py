"""What a service builds once at its wiring point (``main.py``) and hands, typed, to its
routes, event handlers and jobs: settings, the database, the clock, and whatever a service
adds in its subclass (repositories, providers, keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from kit.clock import Clock, SystemClock
from kit.db import Database
from kit.settings import ServiceSettings

R = TypeVar("R", bound="ServiceRuntime")


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    db: Database
    clock: Clock = field(default_factory=SystemClock)

    async def start(self) -> None:
        """Called once when the app starts, before it serves (load keys, warm caches)."""

    async def stop(self) -> None:
        """Called once when the app stops."""

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ServiceRuntime:
        """The runtime of a service that needs nothing beyond the kit's (tests, skeletons)."""
        return cls(settings=settings, db=Database(settings.database_url))


def runtime_dependency(kind: type[R]) -> type[R]:
    """``RuntimeDep = runtime_dependency(MyRuntime)``: the service's runtime in a route, typed."""

    def get(request: Request) -> R:
        runtime = request.app.state.runtime
        assert isinstance(runtime, kind)
        return runtime

    return Annotated[kind, Depends(get)]  # type: ignore[return-value]
