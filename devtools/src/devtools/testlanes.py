"""`make test`: the whole suite in two lanes that run at the same time.

The end-to-end lane (tests/e2e: a running stack, chromium, schemathesis) spends most of its
time waiting on its processes; everything else is CPU and database work. Run one after the
other they took about 14 minutes on a 2-core machine; side by side the wall time is the
longer lane's. Each lane is its own pytest process, so its own run id, databases, exchange
and queues (kit.testing.plugin), removed at its end. Given arguments (``make test
PYTEST_ARGS=...``), one pytest runs with them instead.

A lane's output is written to var/test-lanes/<lane>.log and printed whole when the lane ends,
followed by one line per lane; the exit status is the first failing lane's.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PYTEST = [sys.executable, "-m", "pytest", "-p", "devtools.pytest_guard"]
E2E = "tests/e2e"
LOG_DIR = Path("var/test-lanes")


@dataclass(frozen=True)
class Lane:
    name: str
    args: tuple[str, ...]


# Each lane names its slowest tests: where to look when the suite grows.
DURATIONS = "--durations=25"
LANES = (
    Lane("e2e", (E2E, DURATIONS)),
    # The testpaths of pyproject.toml but the end-to-end ones.
    Lane("rest", (f"--ignore={E2E}", DURATIONS)),
)


def main(argv: list[str]) -> int:
    if argv:
        return subprocess.call([*PYTEST, *argv])
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    running = []
    for lane in LANES:
        log = (LOG_DIR / f"{lane.name}.log").open("w")
        process = subprocess.Popen([*PYTEST, *lane.args], stdout=log, stderr=subprocess.STDOUT)
        running.append((lane, process, log))
        print(f"lane {lane.name}: pytest {' '.join(lane.args)} (output in {log.name})", flush=True)
    results: dict[str, tuple[int, float]] = {}
    while running:
        for entry in list(running):
            lane, process, log = entry
            if process.poll() is None:
                continue
            log.close()
            results[lane.name] = (process.returncode, time.monotonic() - started)
            print(f"\n===== lane {lane.name} =====", flush=True)
            sys.stdout.write(Path(log.name).read_text(errors="replace"))
            running.remove(entry)
        time.sleep(0.5)
    print()
    for name, (code, elapsed) in results.items():
        print(f"lane {name}: {'passed' if code == 0 else f'FAILED (exit {code})'} after {elapsed:.0f} s")
    print(f"make test: {time.monotonic() - started:.0f} s in all")
    return next((code for code, _ in results.values() if code != 0), 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
