"""The one loop every background worker runs (outbox relay, mail sender, job scheduler,
key reloads), and the one back-off formula every retry uses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from kit.wakeup import NotifyWakeup

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Exponential: ``base``, 2×``base``, 4×``base``… after 1, 2, 3… failures, at most ``cap``."""

    base: float
    cap: float = float("inf")

    def delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        # min() first on the exponent keeps 2**n finite for a long outage.
        return min(self.cap, self.base * 2 ** min(failures - 1, 60))


# A pass of a worker: True when it did a full batch and should run again at once.
Step = Callable[[], Awaitable[bool]]


async def run_worker(
    name: str,
    step: Step,
    *,
    poll_interval_s: float,
    wakeup: NotifyWakeup | None = None,
    backoff: Backoff = Backoff(0.5, 60.0),
) -> None:
    """Run ``step`` forever: again at once after a full batch, else on a NOTIFY (when a wake-up
    is given) or after ``poll_interval_s``; after a failure, wait per ``backoff``. Never exits
    on an error: a database or broker outage only slows it down."""
    failures = 0
    while True:
        if wakeup is not None:
            await wakeup.arm()
        try:
            more = await step()
            failures = 0
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            delay = backoff.delay(failures)
            log.warning(
                "worker.error", worker=name, failures=failures, retry_in_s=delay, error=repr(exc)[:500]
            )
            await asyncio.sleep(delay)
            continue
        if more:
            continue
        if wakeup is not None:
            await wakeup.wait(poll_interval_s)
        else:
            await asyncio.sleep(poll_interval_s)
