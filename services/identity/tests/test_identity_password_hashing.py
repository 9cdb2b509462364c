"""Argon2id hashes are bounded per process (memory_cost each): more at once than the limit wait."""

from __future__ import annotations

import asyncio
import threading
import time

from identity.security import Passwords
from identity.settings import Settings

FAST = {"argon2_time_cost": 1, "argon2_memory_cost": 1024, "argon2_parallelism": 1}


class _Concurrency:
    """Wraps the real hasher and records how many of its calls ran at the same time."""

    def __init__(self, hasher) -> None:  # noqa: ANN001
        self._hasher = hasher
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0

    def _track(self, work, *args):  # noqa: ANN001, ANN002, ANN202
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.05)  # long enough for the others to start if nothing holds them
            return work(*args)
        finally:
            with self._lock:
                self.running -= 1

    def hash(self, password: str) -> str:
        return self._track(self._hasher.hash, password)

    def verify_and_update(self, password: str, password_hash: str):  # noqa: ANN201
        return self._track(self._hasher.verify_and_update, password, password_hash)


async def test_no_more_hashes_at_once_than_the_limit() -> None:
    passwords = Passwords(Settings(argon2_concurrency=2, **FAST))
    recorder = _Concurrency(passwords._hash)
    passwords._hash = recorder  # type: ignore[assignment]

    hashes = await asyncio.gather(*(passwords.hash(f"Password-{n}") for n in range(6)))
    checks = await asyncio.gather(*(passwords.verify(f"Password-{n}", h) for n, h in enumerate(hashes)))

    assert recorder.most == 2
    assert all(valid for valid, _ in checks)
