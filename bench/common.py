"""What both contenders share: timestamps keyed by message id, a paced open-loop load, a
saturating load, and percentiles."""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass
from typing import Any

now = time.perf_counter  # one monotonic clock for every timestamp of the run


def percentile(values: list[float], p: float) -> float:
    """Nearest rank, no interpolation: the reported p99 is a latency that really happened."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def cpu_seconds() -> dict[str, float]:
    """CPU seconds so far: this process, and the whole machine (Linux /proc/stat; the rest of
    the machine is PostgreSQL, RabbitMQ and whatever else runs meanwhile)."""
    out = {"python": time.process_time()}
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
        out["machine"] = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        pass
    return out


class CpuMeter:
    """CPU spent between construction and ``stop``: per event and as cores kept busy."""

    def __init__(self) -> None:
        self.cpu0, self.t0 = cpu_seconds(), now()

    def stop(self, events: int) -> tuple[dict[str, float], dict[str, float]]:
        cpu1, wall = cpu_seconds(), now() - self.t0
        spent = {k: v - self.cpu0.get(k, 0.0) for k, v in cpu1.items()}
        return {k: v * 1000 / events for k, v in spent.items()}, {k: v / wall for k, v in spent.items()}


@dataclass
class LatencyResult:
    sent: int
    delivered: int
    rate: float  # achieved send rate, events/s
    p50_ms: float
    p99_ms: float
    max_ms: float
    busy: dict[str, float]  # cores kept busy while sending, by process group


@dataclass
class ThroughputResult:
    events: int
    delivered: int
    seconds: float
    rate: float  # end to end: first send to last delivery
    send_rate: float  # how fast the senders alone got rid of the events
    cpu_ms: dict[str, float]  # CPU milliseconds per event, by process group
    busy: dict[str, float]  # cores kept busy during the run, by process group


class Contender:
    """``fire`` sends one event and stamps ``started[id]``; the receiving side stamps
    ``done[id]``. Subclasses implement setup, fire and close."""

    name = "?"

    def __init__(self) -> None:
        self.started: dict[Any, float] = {}
        self.done: dict[Any, float] = {}

    def reset(self) -> None:
        self.started.clear()
        self.done.clear()

    async def fire(self, i: int) -> None:
        raise NotImplementedError

    async def wait_delivered(self, timeout_s: float) -> None:
        # Polls only the in-memory stamps to know when to stop: the stamps themselves are
        # taken by the receiving code at the moment things happen.
        deadline = now() + timeout_s
        while now() < deadline:
            # Cheap length test first: scanning every key each tick costs real CPU at 5000.
            if len(self.done) >= len(self.started) and all(k in self.done for k in self.started):
                return
            await asyncio.sleep(0.01)

    def latencies_ms(self) -> list[float]:
        return [(self.done[k] - t) * 1000 for k, t in self.started.items() if k in self.done]

    async def paced(self, rate: float, seconds: float) -> float:
        """Open loop: event i is sent at start + i/rate whether or not earlier ones finished,
        so a slow pipeline shows up as latency instead of silently lowering the rate."""
        count = max(1, int(rate * seconds))
        tasks: list[asyncio.Task[None]] = []
        start = now()
        for i in range(count):
            delay = start + i / rate - now()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.fire(i)))
        await asyncio.gather(*tasks)
        return count / (now() - start)

    async def latency(self, rate: float, seconds: float, timeout_s: float = 15.0) -> LatencyResult:
        self.reset()
        meter = CpuMeter()
        achieved = await self.paced(rate, seconds)
        _, busy = meter.stop(len(self.started))
        await self.wait_delivered(timeout_s)
        lat = self.latencies_ms()
        return LatencyResult(
            len(self.started),
            len(lat),
            achieved,
            percentile(lat, 50),
            percentile(lat, 99),
            max(lat, default=math.nan),
            busy,
        )

    async def throughput(self, events: int, concurrency: int, timeout_s: float = 60.0) -> ThroughputResult:
        """``concurrency`` senders, each sending its share back to back, until all delivered."""
        self.reset()
        shares = [range(w, events, concurrency) for w in range(concurrency)]

        async def sender(ids: range) -> None:
            for i in ids:
                await self.fire(i)

        meter = CpuMeter()
        start = now()
        await asyncio.gather(*(sender(s) for s in shares))
        sent_at = now()
        await self.wait_delivered(timeout_s)
        end = max(self.done.values(), default=now())
        delivered = sum(1 for k in self.started if k in self.done)
        cpu_ms, busy = meter.stop(events)
        return ThroughputResult(
            events,
            delivered,
            end - start,
            delivered / (end - start),
            events / (sent_at - start),
            cpu_ms,
            busy,
        )

    async def close(self) -> None:
        pass
