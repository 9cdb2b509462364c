"""Access tokens: ES256 JWTs signed with keys every replica shares (stored in the database,
their private half encrypted), and the JWKS that every service verifies them with.

Signing keys are written in transactions of their own (``kit.uow.unit_of_work`` here), never
in the caller's: the first key is created by whichever request or replica needs it first and
must stay whether or not that request then succeeds, and a rotation must be visible to every
replica before this process signs with the new key.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from cryptography.exceptions import InvalidTag
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.domain.key_schedule import ScheduledKey, published_kids, signing_kid
from identity.models import SigningKey
from identity.settings import Settings
from kit.clock import Clock, SystemClock
from kit.db import Database
from kit.errors import Unavailable
from kit.keys import KeySealer
from kit.uow import unit_of_work

log = structlog.get_logger(__name__)

ALGORITHM = "ES256"
# Serialises the creation of the very first key between replicas starting together.
_FIRST_KEY_LOCK = 0x1D3_4B1C


class SigningUnavailable(Unavailable):
    """No readable key signs now (every key unreadable with this SECRET_KEY): 503."""

    def __init__(self) -> None:
        super().__init__(
            "signing_unavailable", "L'accesso non è al momento disponibile. Riprova tra qualche minuto."
        )


def _schedule(rows: list[SigningKey]) -> list[ScheduledKey]:
    return [ScheduledKey(r.kid, r.activates_at) for r in rows]


class SigningKeys:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self._cipher = KeySealer(settings.secret_bytes, "parkingcaserta identity signing keys v1")
        self._rows: list[SigningKey] = []
        self._private: dict[str, ECKey] = {}
        self._lock = asyncio.Lock()

    @property
    def active_kid(self) -> str | None:
        return signing_kid(_schedule(self._rows), self.clock.now())

    async def _usable_rows(self, session: AsyncSession) -> list[SigningKey]:
        query = select(SigningKey).where(col(SigningKey.revoked_at).is_(None))
        return list((await session.exec(query)).all())

    async def load(self, db: Database) -> None:
        """Read the keys, creating the first one on the very first start (in a transaction of its
        own, committed before this process signs with it)."""
        async with self._lock:
            async with unit_of_work(db) as session:
                rows = await self._usable_rows(session)
                if signing_kid(_schedule(rows), self.clock.now()) is None:
                    await session.exec(
                        text("SELECT pg_advisory_xact_lock(:id)"), params={"id": _FIRST_KEY_LOCK}
                    )
                    rows = await self._usable_rows(session)
                    if signing_kid(_schedule(rows), self.clock.now()) is None:
                        rows.append(self._new_key(session, activates_at=self.clock.now()))
            for row in rows:
                if row.kid not in self._private:
                    self._open(row)
            self._rows = rows

    def _open(self, row: SigningKey) -> None:
        try:
            self._private[row.kid] = ECKey.import_key(
                json.loads(self._cipher.open(row.kid, row.private_jwk_encrypted))
            )
        except (InvalidTag, ValueError) as exc:
            # Another SECRET_KEY encrypted it: this replica is misconfigured, or the secret
            # was changed (then `rotate-signing-key --immediately` replaces the keys).
            log.error("signing_key.unreadable", kid=row.kid, error=type(exc).__name__)

    def _new_key(self, session: AsyncSession, *, activates_at: datetime) -> SigningKey:
        kid = uuid.uuid4().hex
        key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
        row = SigningKey(
            kid=kid,
            algorithm=ALGORITHM,
            public_jwk=key.as_dict(private=False),
            private_jwk_encrypted=self._cipher.seal(kid, json.dumps(key.as_dict(private=True)).encode()),
            activates_at=activates_at,
        )
        session.add(row)
        self._private[kid] = key
        log.info("signing_key.created", kid=kid, activates_at=activates_at.isoformat())
        return row

    async def rotate(self, db: Database, *, immediately: bool = False) -> SigningKey:
        """A new key, published now and signing once every verifier has had time to fetch it;
        ``immediately`` (a leaked key) activates it at once and revokes every other key. Its own
        transaction, committed before the keys are read again."""
        now = self.clock.now()
        async with unit_of_work(db) as session:
            if immediately:
                await session.exec(
                    update(SigningKey).where(col(SigningKey.revoked_at).is_(None)).values(revoked_at=now)
                )
            delay = 0 if immediately else self.settings.signing_key_prepublish_s
            row = self._new_key(session, activates_at=now + timedelta(seconds=delay))
        await self.load(db)
        return row

    async def jwks(self, session: AsyncSession) -> dict[str, Any]:
        rows = await self._usable_rows(session)
        keep = timedelta(seconds=self.settings.superseded_key_published_s)
        published = published_kids(_schedule(rows), self.clock.now(), keep)
        ordered = sorted(rows, key=lambda r: r.activates_at, reverse=True)
        return {"keys": [r.public_jwk for r in ordered if r.kid in published]}

    async def signing_key(self, db: Database) -> ECKey:
        if not self._rows:
            await self.load(db)
        kid = self.active_kid
        key = self._private.get(kid) if kid else None
        if key is None:
            raise SigningUnavailable
        return key

    async def issue_access_token(
        self,
        db: Database,
        *,
        user_id: uuid.UUID,
        role: str,
        email: str,
        now: float | None = None,
        session_id: uuid.UUID | None = None,
    ) -> str:
        """``session_id``, the refresh-token family of the login, goes into the ``sid`` claim:
        identity uses it to keep that login when it ends the account's other sessions."""
        key = await self.signing_key(db)
        issued_at = int(now if now is not None else self.clock.now().timestamp())
        claims = {
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "sub": str(user_id),
            "role": role,
            "email": email,
            "iat": issued_at,
            "exp": issued_at + self.settings.access_token_ttl_s,
            "jti": uuid.uuid4().hex,
        }
        if session_id is not None:
            claims["sid"] = str(session_id)
        return jwt.encode({"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}, claims, key)
