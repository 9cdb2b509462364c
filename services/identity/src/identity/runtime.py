"""What the identity service builds once per process (``main.build_runtime``) and its routes,
use cases, jobs and command line share. No web framework here: routes reach it through
``identity.routes.deps.RuntimeDep``."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from identity.security import Passwords
from identity.settings import Settings
from identity.throttle import LoginThrottler
from identity.tokens import SigningKeys
from kit.runtime import ServiceRuntime

log = structlog.get_logger(__name__)


@dataclass
class Runtime(ServiceRuntime):
    settings: Settings
    passwords: Passwords = field(kw_only=True)
    keys: SigningKeys = field(kw_only=True)
    throttler: LoginThrottler = field(kw_only=True)

    async def start(self) -> None:
        try:
            await self.keys.load(self.db)
        except Exception as exc:  # the database may come up later: loaded on first use then
            log.warning("signing_key.load_deferred", error=repr(exc))
