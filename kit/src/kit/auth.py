"""Access-token verification against the identity service's JWKS, and role checks."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

import httpx
import structlog
from fastapi import Depends, Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from kit.problems import Problem

log = structlog.get_logger(__name__)

Role = Literal["citizen", "operator", "admin"]
ALGORITHMS = ["ES256"]
# An unknown key id triggers a refresh, but no more often than this (a flood of forged kids
# must not turn into a flood of requests to identity).
MIN_REFRESH_INTERVAL_S = 10.0


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    role: Role
    email: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in ("operator", "admin")


class InvalidToken(Exception):
    pass


class TokenVerifier:
    def __init__(
        self,
        jwks_url: str,
        *,
        issuer: str,
        audience: str,
        cache_s: float = 300.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.cache_s = cache_s
        self._client = client
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch(self) -> KeySet:
        client = self._client or httpx.AsyncClient(timeout=5.0)
        try:
            response = await client.get(self.jwks_url)
            response.raise_for_status()
            keys = KeySet.import_key_set(response.json())
        finally:
            if self._client is None:
                await client.aclose()
        self._keys, self._fetched_at = keys, time.monotonic()
        return keys

    async def _key_set(self, kid: str | None) -> KeySet:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = self._keys is None or age > self.cache_s
            unknown = self._keys is not None and kid is not None and not _has_kid(self._keys, kid)
            if stale or (unknown and age > MIN_REFRESH_INTERVAL_S):
                try:
                    return await self._fetch()
                except (httpx.HTTPError, ValueError, JoseError) as exc:
                    log.warning("auth.jwks_unavailable", url=self.jwks_url, error=str(exc))
                    if self._keys is None:
                        raise
            assert self._keys is not None
            return self._keys

    async def verify(self, token: str) -> Principal:
        header = _unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken("algorithm")
        kid = header.get("kid")
        keys = await self._key_set(kid)
        if kid is None or not _has_kid(keys, kid):
            raise InvalidToken("unknown key")
        try:
            decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.audience},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(decoded.claims)
            claims = decoded.claims
            role = claims.get("role")
            if role not in ("citizen", "operator", "admin"):
                raise InvalidToken("role")
            return Principal(uuid.UUID(claims["sub"]), role, claims.get("email"))
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise InvalidToken(type(exc).__name__) from exc


def _unverified_header(token: str) -> dict:
    """The JOSE header, read only to choose the key; the signature is checked afterwards."""
    try:
        segment = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeError) as exc:
        raise InvalidToken("malformed") from exc
    if not isinstance(header, dict) or token.count(".") != 2:
        raise InvalidToken("malformed")
    return header


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(k.kid == kid for k in keys.keys)


_UNAUTHENTICATED = Problem(
    401,
    "unauthenticated",
    "Sessione non valida o scaduta: effettua di nuovo l'accesso.",
    headers={"WWW-Authenticate": "Bearer"},
)


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _UNAUTHENTICATED
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = await verifier.verify(token.strip())
    except InvalidToken as exc:
        log.info("auth.token_refused", reason=str(exc))
        raise _UNAUTHENTICATED from None
    except (httpx.HTTPError, ValueError) as exc:
        log.error("auth.jwks_unreachable", error=str(exc))
        raise Problem(
            503, "auth_unavailable", "Verifica dell'accesso non disponibile: riprova tra poco."
        ) from exc
    request.state.principal = principal
    return principal


def require_role(*roles: Role):
    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Problem(403, "forbidden", "Non hai i permessi per questa operazione.")
        return principal

    return dependency


CurrentUser = Annotated[Principal, Depends(current_principal)]
Citizen = Annotated[Principal, Depends(require_role("citizen"))]
Operator = Annotated[Principal, Depends(require_role("operator", "admin"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
