"""Open-loop HTTP load at a fixed rate, in its own process (the login benchmark: 20/s is a
rate, not a saturation, and wrk has no rate setting). Prints one JSON line.

``python -m bench.loadgen <url> <rate> <seconds> <json body> [header: value]...``
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx

from bench.common import percentile


async def paced(url: str, rate: float, seconds: float, body: bytes, headers: dict[str, str]) -> dict:
    latencies: list[float] = []
    failures = 0
    statuses: dict[int, int] = {}
    kinds: dict[str, int] = {}  # exceptions by type (timeouts under overload)

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal failures
        t0 = time.perf_counter()
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            failures += 1
            kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
            return
        latencies.append((time.perf_counter() - t0) * 1000)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code >= 400:
            failures += 1

    count = int(rate * seconds)
    async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=200)) as client:
        tasks = []
        start = time.perf_counter()
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return {
        "requests": count,
        "rate": count / elapsed,
        "errors": failures,
        "statuses": statuses,
        "exceptions": kinds,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
    }


def main() -> None:
    url, rate, seconds, body = sys.argv[1:5]
    headers = dict(h.split(": ", 1) for h in sys.argv[5:])
    result = asyncio.run(paced(url, float(rate), float(seconds), body.encode(), headers))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
