"""Local copies of kit pieces with one change each, to measure a proposed kit change before it
is made (``--variant``). The kit itself is never patched."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from contracts import Envelope, Event
from kit.db import Database
from kit.outbox import OutboxRelay
from kit.outbox import emit as kit_emit


class NoPrePingDatabase(Database):
    """kit.db.Database with ``pool_pre_ping=False``: one round trip less per transaction; a dead
    pooled connection then fails its first statement instead of being caught by the ping."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        super().__init__(url, pool_size=pool_size, pool_pre_ping=False, echo=echo)


class LingerRelay(OutboxRelay):
    """OutboxRelay that waits a few ms after each wake-up before claiming rows: at moderate
    rates NOTIFY otherwise wakes one relay transaction per event (~2 ms of CPU each)."""

    linger_s = 0.005

    async def relay_once(self) -> int:
        await asyncio.sleep(self.linger_s)
        return await super().relay_once()


@dataclass(frozen=True)
class Variant:
    database_cls: type[Database] = Database  # both services' databases
    emit: Callable[[Any, Event], Awaitable[Envelope]] = kit_emit
    # The relay on a Database of its own (one connection) instead of the service's pool,
    # where it queues behind every waiting request transaction under load.
    relay_own_pool: bool = False
    relay_cls: type[OutboxRelay] = OutboxRelay


# The single-statement emit and the relay on its own connection with one claim statement,
# measured here first, are now the kit's own (the "stock" column).
VARIANTS = {
    "stock": Variant(),
    "no-preping": Variant(database_cls=NoPrePingDatabase),
    "relay-linger": Variant(relay_cls=LingerRelay),
}
