"""``uv run python -m bench`` (``make bench``): one table, every figure beside its target.

- the kit event pipeline (producer transaction + outbox row -> relay -> RabbitMQ -> consumer
  inbox + effect): latency at a steady rate and maximum throughput, beside bare aio-pika on
  the same broker, with an exactly-once check;
- the consumer with and without shared transactions, and one vs two consumer processes on one
  queue (bench.scaleout);
- HTTP through the real Traefik gateway and directly, load from wrk / bench.loadgen in their
  own processes, then the resident memory of every process of the stack (bench.http).

Targets are checked and printed, not asserted: benchmarks are not tests."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import signal
import sys

from sqlalchemy import func, select

from bench.bare import BareAioPika
from bench.common import Contender, CpuMeter, LatencyResult, ThroughputResult
from bench.http import HttpReport, run_http
from bench.infra import Resources, effects
from bench.pipeline import KitPipeline
from bench.scaleout import ScaleResult, measure
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
    p.add_argument("--quick", action="store_true", help="short smoke run of every part")
    p.add_argument("--http-seconds", type=float, default=10.0, help="length of each HTTP run")
    p.add_argument("--scale-events", type=int, default=4000, help="events of each scale-out run")
    p.add_argument("--no-http", action="store_true", help="skip the HTTP benchmarks (no stack started)")
    p.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        default="stock",
        help="kit column with a proposed kit change applied to a local copy (bench/variants.py)",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.events, args.warmup = 2.0, 1000, 0.5
        args.http_seconds, args.scale_events = 3.0, 1000
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

        # Scale-out: separate consumer processes on one queue and one database.
        # First without batching (one delivery per transaction, the kit's previous behaviour):
        # the gain of shared transactions, measured in the same run.
        scale: list[ScaleResult] = []
        for processes, max_batch in ((1, 1), (1, 64), (2, 64)):
            log(f"scale-out: {processes} process(es), batches ≤ {max_batch}, {args.scale_events} events")
            scale.append(
                await measure(
                    res, consumer_url, processes, args.scale_events, kit.settings.consumer_prefetch, max_batch
                )
            )

        http: HttpReport | None = None
        http_failure = "skipped (--no-http)" if args.no_http else ""
        if not args.no_http:
            try:
                http = await run_http(res.pg_url, res.amqp_url, res.run_id, args.http_seconds, log)
            except Exception as exc:  # the pipeline figures are still worth printing
                log(f"http benchmarks failed: {exc!r}")
                http_failure = repr(exc)[:300]

        report(args, lat, thr, stages, committed, applied, unsent, kit, background, scale, http)
        if http is None:
            print(f"\nHTTP benchmarks not run: {http_failure}")
        return 0
    finally:
        # Interrupted mid-run, in-flight handlers fail to ack on the closing channel (kit
        # Consumer.stop does not drain them): redelivery covers it, the log noise is muted.
        logging.getLogger().setLevel(logging.CRITICAL)
        for c in contenders:
            await c.close()
        problems = await res.teardown()
        log("cleanup: " + ("done" if not problems else "PROBLEMS: " + "; ".join(problems)))


Row = tuple[str, str, str, str, bool | None]  # measure, figure, beside it, target, met


def _met(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "**no**")


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
    scale: list[ScaleResult],
    http: HttpReport | None,
) -> None:
    k, b = "kit pipeline", "bare aio-pika"
    rate = f"{args.rate:g}/s"
    ratio = thr[k].rate / thr[b].rate

    def busy(busy: dict[str, float]) -> str:
        # This process pinned near 1.0 core is the wall; "rest" is the other core
        # (PostgreSQL, RabbitMQ and anything else running meanwhile).
        rest = busy.get("machine", math.nan) - busy["python"]
        return f"{busy['python']:.2f} / {rest:.2f}"

    consumer = kit.consumer
    shared = (
        f"{consumer.batched / max(consumer.handled, 1):.0%} of deliveries, "
        f"{consumer.batched / max(consumer.batches, 1):.1f} per transaction"
        if consumer
        else ""
    )
    rows: list[Row] = [
        ("**event pipeline** (kit / bare aio-pika)", "", "", "", None),
        (f"latency p50 @{rate} (ms)", fmt(lat[k].p50_ms), fmt(lat[b].p50_ms), "", None),
        (
            f"latency p99 @{rate} (ms)",
            fmt(lat[k].p99_ms),
            fmt(lat[b].p99_ms),
            f"≤ {P99_TARGET_MS:g}",
            lat[k].p99_ms <= P99_TARGET_MS and lat[k].delivered == lat[k].sent,
        ),
        (
            "delivered / sent (latency run)",
            f"{lat[k].delivered}/{lat[k].sent}",
            f"{lat[b].delivered}/{lat[b].sent}",
            "all",
            lat[k].delivered == lat[k].sent,
        ),
        *[(f"  {line}", "", "", "", None) for line in stages],
        (
            "max throughput (events/s)",
            fmt(thr[k].rate, 0),
            fmt(thr[b].rate, 0),
            f"≥ {THROUGHPUT_RATIO_TARGET:.0%} of bare: {ratio:.0%}",
            ratio >= THROUGHPUT_RATIO_TARGET and thr[k].delivered == thr[k].events,
        ),
        ("  senders alone (events/s)", fmt(thr[k].send_rate, 0), fmt(thr[b].send_rate, 0), "", None),
        (f"  busy cores @{rate}: python / rest", busy(lat[k].busy), busy(lat[b].busy), "", None),
        ("  busy cores at max: python / rest", busy(thr[k].busy), busy(thr[b].busy), "", None),
        (
            "  python CPU ms/event at max",
            fmt(thr[k].cpu_ms["python"], 2),
            fmt(thr[b].cpu_ms["python"], 2),
            "",
            None,
        ),
        (
            "  consumer: in shared transactions",
            shared,
            "",
            f"{consumer.batch_fallbacks if consumer else 0} batch fallback(s)",
            None,
        ),
        (
            "exactly-once: committed / applied / unsent",
            f"{committed} / {applied} / {unsent}",
            "",
            "0 lost, 0 duplicated",
            applied == committed and unsent == 0,
        ),
    ]
    if len(scale) == 3:
        single, one, two = scale
        rows += [
            ("**consumer** (one delivery per transaction / shared transactions)", "", "", "", None),
            (
                "consumer throughput, 1 process (events/s)",
                fmt(single.rate, 0),
                fmt(one.rate, 0),
                f"shared: x{one.rate / single.rate:.2f}",
                None,
            ),
            ("  consumer CPU ms/event", fmt(single.cpu_ms, 2), fmt(one.cpu_ms, 2), "", None),
            ("**scale-out** (1 / 2 consumer processes)", "", "", "", None),
            (
                "consumer throughput (events/s)",
                fmt(one.rate, 0),
                fmt(two.rate, 0),
                f"2 processes: x{two.rate / one.rate:.2f}",
                None,
            ),
            ("  consumer CPU ms/event", fmt(one.cpu_ms, 2), fmt(two.cpu_ms, 2), "", None),
            (
                "  applied / published",
                f"{one.applied}/{one.events}",
                f"{two.applied}/{two.events}",
                "0 lost, 0 duplicated",
                all(r.applied == r.events for r in scale),
            ),
        ]
    if http is not None:
        rows += _http_rows(http)

    s, pool = kit.settings, kit.producer_db.engine.pool
    print(
        f"\nkit variant: {args.variant}; prefetch={s.consumer_prefetch} "
        f"relay_batch={s.relay_batch_size} pool={pool.size()}+{pool._max_overflow}; "  # type: ignore[attr-defined]
        f"latency runs {args.seconds:g} s at {rate}; throughput {args.events} events x "
        f"{args.concurrency} senders; HTTP runs {args.http_seconds:g} s each; "
        f"{os.cpu_count()} cores\n"
    )
    if background > 0.2:
        print(f"WARNING: {background:.2f} cores were busy elsewhere before the run: noisy figures\n")
    print("| measure | figure | beside it | target | met |")
    print("|---|---:|---:|---|---|")
    for measure_, figure, beside, target, ok in rows:
        print(f"| {measure_} | {figure} | {beside} | {target} | {_met(ok)} |")
    judged = [r for r in rows if r[4] is not None]
    missed, parent = [], ""
    for label, *_, ok in rows:
        if not label.startswith(" "):
            parent = label.removesuffix(": requests/s")
        if ok is False:
            missed.append(label if not label.startswith(" ") else f"{parent}: {label.strip()}")
    print(f"\ntargets met: {len(judged) - len(missed)} of {len(judged)}")
    for name in missed:
        print(f"MISSED: {name}")


def _http_rows(http: HttpReport) -> list[Row]:
    by = {(r.name, r.via): r for r in http.results}
    names = list(dict.fromkeys(r.name for r in http.results))
    targets = {  # name prefix -> (min requests/s, max p95 ms, max gateway overhead)
        "read API": (1000.0, 50.0, 0.15),
        "write": (300.0, 150.0, None),
        "login": (None, 500.0, None),
    }
    rows: list[Row] = [("**HTTP** (via gateway / direct)", "", "", "", None)]
    for name in names:
        gw, direct = by.get((name, "gateway")), by.get((name, "direct"))
        if gw is None or direct is None:
            continue
        min_rate, max_p95, max_overhead = next(
            (t for prefix, t in targets.items() if name.startswith(prefix)), (None, None, None)
        )
        overhead = 1 - gw.rate / direct.rate if direct.rate else math.nan
        rows += [
            (
                f"{name}: requests/s",
                fmt(gw.rate, 0),
                fmt(direct.rate, 0),
                "" if min_rate is None else f"≥ {min_rate:,.0f}",
                None if min_rate is None else gw.rate >= min_rate and gw.errors == 0,
            ),
            (
                "  p50 / p95 / p99 (ms)",
                f"{gw.p50_ms:.1f} / {gw.p95_ms:.1f} / {gw.p99_ms:.1f}",
                f"{direct.p50_ms:.1f} / {direct.p95_ms:.1f} / {direct.p99_ms:.1f}",
                "" if max_p95 is None else f"p95 ≤ {max_p95:g}",
                None if max_p95 is None else gw.p95_ms <= max_p95,
            ),
            (
                "  gateway overhead (throughput lost)",
                f"{overhead:.0%}",
                "",
                "" if max_overhead is None else f"≤ {max_overhead:.0%}",
                None if max_overhead is None else overhead <= max_overhead,
            ),
            (
                "  requests / errors",
                f"{gw.requests} / {gw.errors}",
                f"{direct.requests} / {direct.errors}",
                (gw.detail if gw.errors else "") + (f" direct: {direct.detail}" if direct.errors else ""),
                None,
            ),
        ]
    total = sum(m.rss_mib for m in http.memory)
    rows.append(("**memory** after the benchmarks (RSS, MiB)", "", "", "", None))
    rows += [
        (f"  {m.name} ({m.processes} process(es))", fmt(m.rss_mib, 0), "", "", None) for m in http.memory
    ]
    rows.append(("whole local stack RSS (MiB)", fmt(total, 0), "", "≤ 1,024", total <= 1024))
    rows.append(
        (
            "stack ready (teststack: databases, migrations, every process)",
            f"{http.startup_s:.1f} s",
            "",
            "≤ 20 s",
            http.startup_s <= 20,
        )
    )
    return rows


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
