"""What the subscriptions service builds once (``main.build_runtime``) and its routes, handlers and
jobs share."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from kit.runtime import ServiceRuntime
from subscriptions.settings import Settings
from subscriptions.ticket_keys import TicketKeys

log = structlog.get_logger(__name__)


@dataclass
class Runtime(ServiceRuntime):
    settings: Settings
    ticket_keys: TicketKeys = field(kw_only=True)

    async def start(self) -> None:
        try:
            await self.ticket_keys.ensure_key(self.db)
        except Exception as exc:  # the database may come up later: created on first use then
            log.warning("ticket_key.creation_deferred", error=repr(exc))
