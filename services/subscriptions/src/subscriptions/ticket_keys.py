"""The keys that sign tickets: Ed25519, shared by every replica through the service's database,
their private half sealed (AES-GCM with a key derived from TICKET_KEYS_SECRET, the kid bound as
associated data), and the published keys document enforcement devices verify tickets with.

As identity does with its signing keys (``identity.tokens``), a key is written in a transaction
of its own, never in the caller's: the first key is created by whichever request or replica
needs it first and must stay whether or not that request then succeeds, and a rotation is
committed before anything signs with the new key. Which key signs and which are published:
``domain.ticket_keys``; the token itself: ``domain.tickets``.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from typing import Any

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.clock import Clock, SystemClock
from kit.db import Database
from kit.errors import Unavailable
from kit.keys import KeySealer
from kit.uow import unit_of_work
from subscriptions import repository
from subscriptions.domain.periods import local_date
from subscriptions.domain.ticket_keys import ScheduledKey, published_kids, signing_kid
from subscriptions.domain.tickets import public_jwk, public_key_from_raw, raw_public_key
from subscriptions.models import TicketKey
from subscriptions.settings import Settings

log = structlog.get_logger(__name__)

# Serialises the creation of the very first key between replicas starting together.
_FIRST_KEY_LOCK = 0x71C_4E75


class TicketSigningUnavailable(Unavailable):
    """No readable key signs now (every key sealed with another TICKET_KEYS_SECRET): 503."""

    def __init__(self) -> None:
        super().__init__(
            "ticket_signing_unavailable",
            "Il contrassegno non è al momento disponibile. Riprova tra qualche minuto.",
        )


def _schedule(rows: list[TicketKey]) -> list[ScheduledKey]:
    return [ScheduledKey(r.kid, r.activates_at) for r in rows]


class TicketKeys:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self._cipher = KeySealer(
            settings.ticket_keys_secret.get_secret_value().encode(),
            "parkingcaserta subscriptions ticket keys v1",
        )
        self._private: dict[str, Ed25519PrivateKey] = {}
        self._lock = asyncio.Lock()

    @staticmethod
    async def _usable_rows(session: AsyncSession) -> list[TicketKey]:
        statement = select(TicketKey).where(col(TicketKey.revoked_at).is_(None))
        return list((await session.exec(statement.execution_options(populate_existing=True))).all())

    async def ensure_key(self, db: Database) -> None:
        """Create the first key when none signs yet (the very first start), in a transaction of
        its own; replicas starting together create one between them."""
        async with self._lock, unit_of_work(db) as session:
            if signing_kid(_schedule(await self._usable_rows(session)), self.clock.now()) is not None:
                return
            await session.exec(text("SELECT pg_advisory_xact_lock(:id)"), params={"id": _FIRST_KEY_LOCK})
            if signing_kid(_schedule(await self._usable_rows(session)), self.clock.now()) is None:
                self._new_key(session, activates_at=self.clock.now())

    def _new_key(self, session: AsyncSession, *, activates_at: datetime) -> TicketKey:
        kid = secrets.token_hex(4)
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        row = TicketKey(
            kid=kid,
            public_key=raw_public_key(private.public_key()),
            private_key_sealed=self._cipher.seal(kid, raw),
            activates_at=activates_at,
        )
        session.add(row)
        self._private[kid] = private
        log.info("ticket_key.created", kid=kid, activates_at=activates_at.isoformat())
        return row

    async def rotate(self, db: Database, *, immediately: bool = False) -> TicketKey:
        """A new key, published now and signing once every device has had time to fetch it;
        ``immediately`` (a leaked key) activates it at once and revokes every other key: the
        tickets they signed no longer verify, and are signed anew when downloaded again."""
        now = self.clock.now()
        async with unit_of_work(db) as session:
            if immediately:
                await session.exec(
                    update(TicketKey).where(col(TicketKey.revoked_at).is_(None)).values(revoked_at=now)
                )
            delay = 0 if immediately else self.settings.ticket_key_prepublish_s
            row = self._new_key(session, activates_at=now + timedelta(seconds=delay))
        return row

    def _open(self, row: TicketKey) -> Ed25519PrivateKey | None:
        if row.kid not in self._private:
            try:
                raw = self._cipher.open(row.kid, row.private_key_sealed)
                self._private[row.kid] = Ed25519PrivateKey.from_private_bytes(raw)
            except (InvalidTag, ValueError) as exc:
                # Sealed with another TICKET_KEYS_SECRET: this replica is misconfigured, or the
                # secret was changed (then `rotate-ticket-key --immediately` replaces the keys).
                log.error("ticket_key.unreadable", kid=row.kid, error=type(exc).__name__)
                return None
        return self._private[row.kid]

    async def signer(self, session: AsyncSession, db: Database) -> tuple[str, Ed25519PrivateKey]:
        """The key that signs new tickets now (created on the very first use)."""
        rows = await self._usable_rows(session)
        kid = signing_kid(_schedule(rows), self.clock.now())
        if kid is None:
            await self.ensure_key(db)
            rows = await self._usable_rows(session)
            kid = signing_kid(_schedule(rows), self.clock.now())
        row = next((r for r in rows if r.kid == kid), None)
        private = self._open(row) if row is not None else None
        if kid is None or private is None:
            raise TicketSigningUnavailable
        return kid, private

    async def usable_kids(self, session: AsyncSession) -> set[str]:
        return {row.kid for row in await self._usable_rows(session)}

    async def public_keys(self, session: AsyncSession) -> dict[str, Ed25519PublicKey]:
        """Every key that is not revoked: what the service itself verifies tickets with."""
        return {row.kid: public_key_from_raw(row.public_key) for row in await self._usable_rows(session)}

    async def document(self, session: AsyncSession) -> dict[str, Any]:
        """The published keys document (JWKS-like), newest key first."""
        now = self.clock.now()
        rows = {row.kid: row for row in await self._usable_rows(session)}
        carried = await repository.kids_of_current_tickets(session, today=local_date(now))
        kids = published_kids(_schedule(list(rows.values())), now, carried)
        return {
            "keys": [public_jwk(kid, public_key_from_raw(rows[kid].public_key)) for kid in kids],
        }
