"""``uv run python -m bench.starvation``: the relay's latency while the producer service's pool
is saturated by slow requests (the kit's relay has a connection of its own, so it must not
queue behind them). CPU-light on purpose (pg_sleep), so that a busy machine
does not blur the effect."""

from __future__ import annotations

import asyncio
import os

from sqlalchemy import text

from bench.common import percentile
from bench.infra import Resources
from bench.pipeline import KitPipeline
from bench.variants import VARIANTS
from kit.logging import configure_logging

REQUESTS_IN_FLIGHT = 40  # against the kit's default pool of 10 + 10 overflow
REQUEST_S = 0.05
RATE, SECONDS = 50, 4


async def measure(variant: str) -> None:
    res = Resources(
        pg_url=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        amqp_url=os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    stop = asyncio.Event()
    kit: KitPipeline | None = None
    try:
        kit = KitPipeline(res, *await res.create_databases(), VARIANTS[variant])
        await kit.setup()

        async def slow_request() -> None:
            while not stop.is_set():
                async with kit.producer_db.session() as session:
                    await session.execute(text("SELECT pg_sleep(:s)"), {"s": REQUEST_S})

        requests = [asyncio.create_task(slow_request()) for _ in range(REQUESTS_IN_FLIGHT)]
        await asyncio.sleep(0.5)
        kit.reset()
        await kit.paced(RATE, SECONDS)  # latency counts from commit: pool waits before it don't
        await kit.wait_delivered(30)
        stop.set()
        await asyncio.gather(*requests)
        lat = kit.latencies_ms()
        print(
            f"{variant:<15} commit -> consumer commit p50 {percentile(lat, 50):7.1f} ms, "
            f"p99 {percentile(lat, 99):7.1f} ms ({len(lat)}/{len(kit.started)} delivered)"
        )
    finally:
        stop.set()
        if kit is not None:
            await kit.close()
        await res.teardown()


async def main() -> None:
    print(
        f"{REQUESTS_IN_FLIGHT} requests of {REQUEST_S * 1000:g} ms in flight on the producer "
        f"pool; events at {RATE}/s for {SECONDS} s"
    )
    for variant in ("stock",):
        await measure(variant)


if __name__ == "__main__":
    configure_logging("bench", "WARNING", json=False)
    asyncio.run(main())
