"""Password hashing (argon2id through pwdlib), off the event loop."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from identity.domain.passwords import normalize_password
from identity.settings import Settings

T = TypeVar("T")


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hash = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=settings.argon2_time_cost,
                    memory_cost=settings.argon2_memory_cost,
                    parallelism=settings.argon2_parallelism,
                ),
            )
        )
        # Compared against when the account does not exist, so that an unknown e-mail takes
        # as long as a wrong password.
        self._dummy_hash = self._hash.hash(secrets.token_urlsafe(16))
        # Each hash takes argon2_memory_cost KiB and a core: more at once than there are cores
        # only queues them in threads while their memory stays allocated (bench: identity's RSS
        # at 20 logins/s). Waiting here costs the same time and bounds the memory.
        self._slots = asyncio.Semaphore(settings.argon2_concurrency or os.cpu_count() or 1)

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        async with self._slots:
            return await asyncio.to_thread(work, *args)

    async def hash(self, password: str) -> str:
        return await self._run(self._hash.hash, normalize_password(password))

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """(valid, new hash when the parameters changed since it was stored)."""
        if password_hash is None:
            await self._run(self._hash.verify, normalize_password(password), self._dummy_hash)
            return False, None
        return await self._run(self._hash.verify_and_update, normalize_password(password), password_hash)
