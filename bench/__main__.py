"""``uv run python -m bench``: latency at a steady rate and maximum throughput of the kit event
pipeline, beside bare aio-pika on the same broker, with targets checked (printed, not asserted)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import signal
import sys
from typing import Any

from sqlalchemy import func, select

from bench.bare import BareAioPika
from bench.common import Contender, CpuMeter, LatencyResult, ThroughputResult
from bench.infra import Resources, effects
from bench.pipeline import KitPipeline
from bench.variants import VARIANTS
from kit.db import outbox_table
from kit.logging import configure_logging

P99_TARGET_MS = 50.0
THROUGHPUT_RATIO_TARGET = 0.5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--seconds", type=float, default=10.0, help="length of each latency run")
    p.add_argument("--rate", type=float, default=200.0, help="steady rate of the latency runs")
    p.add_argument("--events", type=int, default=5000, help="events of each throughput run")
    p.add_argument("--concurrency", type=int, default=8, help="concurrent producers/publishers")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of discarded warm-up load")
    p.add_argument("--quick", action="store_true", help="~15 s smoke run")
    p.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        default="stock",
        help="kit column with a proposed kit change applied to a local copy (bench/variants.py)",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.events, args.warmup = 2.0, 1000, 0.5
    return args


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


async def run(args: argparse.Namespace) -> int:
    res = Resources(
        pg_url=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        amqp_url=os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    contenders: list[Contender] = []
    # Other work on the box skews every figure: measure it first, report it with the results.
    meter = CpuMeter()
    await asyncio.sleep(0.5)
    _, idle = meter.stop(1)
    background = idle.get("machine", 0.0) - idle["python"]
    try:
        try:
            log(f"setup: run {res.run_id}")
            producer_url, consumer_url = await res.create_databases()
            kit = KitPipeline(res, producer_url, consumer_url, VARIANTS[args.variant])
            contenders.append(kit)
            await kit.setup()
            bare = BareAioPika(res, prefetch=kit.settings.consumer_prefetch)
            contenders.append(bare)
            await bare.setup()
        except Exception as exc:
            log(f"setup failed: {exc!r}")
            return 2

        # Warm-up: pools fill, connections open, statement caches warm; results discarded.
        for c in contenders:
            await c.latency(args.rate, args.warmup)

        lat: dict[str, LatencyResult] = {}
        thr: dict[str, ThroughputResult] = {}
        for c in contenders:
            log(f"latency: {c.name}, {args.rate:g}/s for {args.seconds:g} s")
            lat[c.name] = await c.latency(args.rate, args.seconds)
            if c is kit:
                stages = kit.breakdown()
        for c in contenders:
            log(f"throughput: {c.name}, {args.events} events, {args.concurrency} senders")
            thr[c.name] = await c.throughput(args.events, args.concurrency)

        # Exactly-once sanity: every committed event applied once, every outbox row sent.
        async with kit.producer_db.engine.connect() as conn:
            committed = await conn.scalar(select(func.count()).select_from(outbox_table))
            unsent = await conn.scalar(select(func.count()).where(outbox_table.c.sent_at.is_(None)))
        async with kit.consumer_db.engine.connect() as conn:
            applied = await conn.scalar(select(func.count()).select_from(effects))

        report(args, lat, thr, stages, committed, applied, unsent, kit, background)
        return 0
    finally:
        # Interrupted mid-run, in-flight handlers fail to ack on the closing channel (kit
        # Consumer.stop does not drain them): redelivery covers it, the log noise is muted.
        logging.getLogger().setLevel(logging.CRITICAL)
        for c in contenders:
            await c.close()
        problems = await res.teardown()
        log("cleanup: " + ("done" if not problems else "PROBLEMS: " + "; ".join(problems)))


def report(
    args: argparse.Namespace,
    lat: dict[str, LatencyResult],
    thr: dict[str, ThroughputResult],
    stages: list[str],
    committed: int,
    applied: int,
    unsent: int,
    kit: KitPipeline,
    background: float,
) -> None:
    k, b = "kit pipeline", "bare aio-pika"
    rate = f"{args.rate:g}/s"
    ratio = thr[k].rate / thr[b].rate
    rows: list[tuple[str, Any, Any, str]] = [
        (f"latency p50 @{rate} (ms)", fmt(lat[k].p50_ms), fmt(lat[b].p50_ms), ""),
        (
            f"latency p99 @{rate} (ms)",
            fmt(lat[k].p99_ms),
            fmt(lat[b].p99_ms),
            f"≤ {P99_TARGET_MS:g}",
        ),
        (f"latency max @{rate} (ms)", fmt(lat[k].max_ms), fmt(lat[b].max_ms), ""),
        (
            "delivered / sent (latency run)",
            f"{lat[k].delivered}/{lat[k].sent}",
            f"{lat[b].delivered}/{lat[b].sent}",
            "",
        ),
        (
            "max throughput (events/s)",
            fmt(thr[k].rate, 0),
            fmt(thr[b].rate, 0),
            f"pipeline ≥ {THROUGHPUT_RATIO_TARGET:.0%} of bare",
        ),
        ("  senders alone (events/s)", fmt(thr[k].send_rate, 0), fmt(thr[b].send_rate, 0), ""),
    ]

    # Where the CPU goes: this process pinned near 1.0 core is the wall; "rest" is the other
    # core (PostgreSQL, RabbitMQ and anything else running meanwhile).
    def busy(busy: dict[str, float]) -> str:
        rest = busy.get("machine", math.nan) - busy["python"]
        return f"{busy['python']:.2f} / {rest:.2f}"

    rows += [
        (f"  busy cores @{rate}: python / rest", busy(lat[k].busy), busy(lat[b].busy), ""),
        ("  busy cores at max: python / rest", busy(thr[k].busy), busy(thr[b].busy), ""),
        (
            "  python CPU ms/event at max",
            fmt(thr[k].cpu_ms["python"], 2),
            fmt(thr[b].cpu_ms["python"], 2),
            "",
        ),
    ]
    s, pool = kit.settings, kit.producer_db.engine.pool
    print(
        f"\nkit variant: {args.variant}; prefetch={s.consumer_prefetch} "
        f"relay_batch={s.relay_batch_size} pool={pool.size()}+{pool._max_overflow}; "  # type: ignore[attr-defined]
        f"latency runs {args.seconds:g} s at {rate}; "
        f"throughput {args.events} events x {args.concurrency} senders\n"
    )
    if background > 0.2:
        print(f"WARNING: {background:.2f} cores were busy elsewhere before the run: noisy figures\n")
    print("| measure | kit pipeline | bare aio-pika | target |")
    print("|---|---:|---:|---|")
    for r in rows:
        print(f"| {' | '.join(map(str, r))} |")
    print("\nkit latency by stage (p50 / p99 ms):")
    for line in stages:
        print(f"  {line}")
    dupes = applied - committed
    print(
        f"\nexactly-once: {committed} committed, {applied} applied, {unsent} unsent"
        + ("" if dupes == 0 and unsent == 0 else "  <-- MISMATCH")
    )
    p99_ok = lat[k].p99_ms <= P99_TARGET_MS and lat[k].delivered == lat[k].sent
    thr_ok = ratio >= THROUGHPUT_RATIO_TARGET and thr[k].delivered == thr[k].events
    print(f"\n{'PASS' if p99_ok else 'FAIL'}: kit latency p99 {fmt(lat[k].p99_ms)} ms ≤ {P99_TARGET_MS:g} ms")
    print(
        f"{'PASS' if thr_ok else 'FAIL'}: kit throughput {fmt(thr[k].rate, 0)}/s = "
        f"{ratio:.0%} of bare {fmt(thr[b].rate, 0)}/s (target ≥ {THROUGHPUT_RATIO_TARGET:.0%})"
    )


def main() -> int:
    # Kit log lines (warnings and up) go to stderr so stdout stays the report.
    configure_logging("bench", "WARNING", json=False)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    args = parse_args()

    async def guarded() -> int:
        # SIGTERM cleans up like Ctrl-C does (asyncio.run already cancels on SIGINT).
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await run(args)

    try:
        return asyncio.run(guarded())
    except KeyboardInterrupt:
        log("interrupted: cleaned up")
        return 130
    except asyncio.CancelledError:
        log("terminated: cleaned up")
        return 143


if __name__ == "__main__":
    sys.exit(main())
