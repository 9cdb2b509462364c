"""What a service builds once at its wiring point (``main.py``) and hands, typed, to its
routes, event handlers and jobs: settings, the database, the clock, and whatever a service
adds in its subclass (repositories, providers, keys)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kit.clock import Clock, SystemClock
from kit.db import Database
from kit.settings import ServiceSettings


@dataclass(kw_only=True)
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
        return cls(settings=settings, db=Database.of(settings))
