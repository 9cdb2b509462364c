"""Child processes for tests: free ports, one log file per process, process-group shutdown,
waiting for an HTTP endpoint while watching that the process is still alive."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Ports free right now; all sockets stay open until every port is chosen (no duplicates)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class ManagedProcess:
    name: str
    args: list[str]
    env: Mapping[str, str]
    log_path: Path
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # Own session: stop() signals the whole group (a `uv run` or a shell wrapper too).
            self.popen = subprocess.Popen(
                self.args,
                env=dict(self.env),
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def exit_code(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def signal(self, signum: int) -> None:
        if self.popen is not None and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signum)

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"


def stop_all(processes: Iterable[ManagedProcess], timeout_s: float = 10.0) -> None:
    """SIGTERM every group at once, SIGKILL the ones still there after ``timeout_s``."""
    running = [p for p in processes if p.exit_code is None and p.popen is not None]
    for process in running:
        process.signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for process in running:
        assert process.popen is not None
        try:
            process.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.signal(signal.SIGKILL)
            process.popen.wait(timeout=5)
    for process in running:
        # The group may outlive its leader (a child that ignored SIGTERM).
        process.signal(signal.SIGKILL)


class ProcessDied(RuntimeError):
    pass


async def wait_for_http(
    client: httpx.AsyncClient,
    url: str,
    *,
    watch: Iterable[ManagedProcess] = (),
    timeout_s: float = 60.0,
    expect: int = 200,
) -> httpx.Response:
    """Poll ``url`` until it answers ``expect``; fail at once when a watched process exits."""
    watched = list(watch)
    deadline = time.monotonic() + timeout_s
    last: str = "no answer"
    while True:
        for process in watched:
            if process.exit_code is not None:
                raise ProcessDied(
                    f"{process.name} exited with code {process.exit_code} while waiting for "
                    f"{url}:\n{process.tail()}"
                )
        try:
            response = await client.get(url)
            if response.status_code == expect:
                return response
            last = f"{response.status_code}: {response.text[:300]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer {expect} within {timeout_s:.0f} s ({last})")
        await asyncio.sleep(0.1)
