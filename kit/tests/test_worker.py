"""The one worker loop and back-off of the kit."""

from __future__ import annotations

import asyncio

import pytest

from kit.wakeup import NotifyWakeup
from kit.worker import Backoff, run_worker


def test_backoff_doubles_from_its_base_up_to_its_cap() -> None:
    backoff = Backoff(0.5, cap=3.0)
    assert [backoff.delay(n) for n in range(0, 6)] == [0.0, 0.5, 1.0, 2.0, 3.0, 3.0]
    assert Backoff(1.0).delay(10_000) > 0  # no overflow after a long outage


async def test_the_worker_survives_failures_and_runs_full_batches_back_to_back() -> None:
    outcomes = iter([RuntimeError("db down"), RuntimeError("db down"), True, True, False])
    calls: list[str] = []
    done = asyncio.Event()

    async def step() -> bool:
        outcome = next(outcomes, None)
        if outcome is None:
            done.set()
            return False
        calls.append(type(outcome).__name__ if isinstance(outcome, Exception) else str(outcome))
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    task = asyncio.create_task(run_worker("t", step, poll_interval_s=0.01, backoff=Backoff(0.01, 0.02)))
    await asyncio.wait_for(done.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == ["RuntimeError", "RuntimeError", "True", "True", "False"]


async def test_a_worker_woken_as_it_is_cancelled_still_stops() -> None:
    """Python 3.11's asyncio.wait_for returns the result when the awaited event and the
    cancellation arrive together, swallowing the cancellation: a worker that waited with it
    went on looping after shutdown, and a service stop hung until its 30 s timeout (seen in CI
    as a teardown TimeoutError in identity's tests, right after a NOTIFY)."""
    wakeup = NotifyWakeup("postgresql+asyncpg://unused/unused", "unused")
    passes = 0

    async def step() -> bool:
        nonlocal passes
        passes += 1
        return False

    async def arm() -> None:  # no listener connection: the loop only waits in wakeup.wait()
        wakeup._event.clear()

    wakeup.arm = arm  # type: ignore[method-assign]
    task = asyncio.create_task(run_worker("t", step, poll_interval_s=60, wakeup=wakeup))
    while passes == 0:
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    wakeup.set()  # a NOTIFY arrives...
    task.cancel()  # ...in the same turn of the loop as the shutdown
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done, "the worker ignored its cancellation"
    assert task.cancelled()
