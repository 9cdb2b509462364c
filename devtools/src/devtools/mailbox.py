"""Client of the mail catcher's JSON API, for tests: wait until a message arrives."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx


class MessageNotReceived(AssertionError):
    pass


class Mailbox:
    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")

    async def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Summaries, newest first."""
        params = {"to": to} if to else None
        response = await self.client.get(f"{self.base_url}/api/messages", params=params)
        response.raise_for_status()
        return response.json()

    async def message(self, message_id: int) -> dict[str, Any]:
        """One message with its text and HTML bodies, headers and attachments."""
        response = await self.client.get(f"{self.base_url}/api/messages/{message_id}")
        response.raise_for_status()
        return response.json()

    async def clear(self) -> None:
        response = await self.client.delete(f"{self.base_url}/api/messages")
        response.raise_for_status()

    async def wait_for_message(
        self,
        *,
        to: str,
        subject_contains: str | None = None,
        newer_than: int | None = None,
        timeout_s: float = 10.0,
    ) -> dict[str, Any]:
        """The newest message to ``to`` (whose subject contains ``subject_contains``, case
        insensitive; with an id above ``newer_than``), polling until ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            for summary in await self.messages(to=to):
                if newer_than is not None and summary["id"] <= newer_than:
                    continue
                if subject_contains and subject_contains.lower() not in summary["subject"].lower():
                    continue
                return await self.message(summary["id"])
            if time.monotonic() > deadline:
                seen = [m["subject"] for m in await self.messages(to=to)]
                raise MessageNotReceived(
                    f"no message to {to!r}"
                    + (f" with {subject_contains!r} in the subject" if subject_contains else "")
                    + f" within {timeout_s:.0f} s; subjects received for it: {seen}"
                )
            await asyncio.sleep(0.1)
