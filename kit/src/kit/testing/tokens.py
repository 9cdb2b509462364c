"""A token issuer for tests of services other than identity: its own ES256 key, its JWKS
served over HTTP (ASGI), and access tokens shaped like identity's."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from kit.auth import Role, TokenVerifier


class TestIssuer:
    __test__ = False  # not a test class

    def __init__(self, issuer: str = "parkingcaserta-identity", audience: str = "parkingcaserta") -> None:
        self.issuer = issuer
        self.audience = audience
        self.key = ECKey.generate_key("P-256", parameters={"kid": uuid.uuid4().hex, "use": "sig"})
        self.jwks_app = FastAPI()
        self.jwks_app.get("/jwks.json")(self.jwks)

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.key]).as_dict(private=False)

    def token(
        self,
        user_id: uuid.UUID | None = None,
        role: Role = "citizen",
        *,
        email: str = "cittadino@example.it",
        expires_in: int = 600,
        key: ECKey | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        signing_key = key or self.key
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id or uuid.uuid4()),
            "role": role,
            "email": email,
            "iat": now,
            "exp": now + expires_in,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        return jwt.encode({"alg": "ES256", "kid": signing_key.kid}, payload, signing_key)

    def headers(self, user_id: uuid.UUID | None = None, role: Role = "citizen", **kw: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, role, **kw)}"}

    def verifier(self) -> TokenVerifier:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.jwks_app), base_url="http://jwks")
        return TokenVerifier(
            "http://jwks/jwks.json", issuer=self.issuer, audience=self.audience, client=client
        )

    def install(self, app: FastAPI) -> None:
        """Make ``app`` trust this issuer instead of the identity service."""
        app.state.verifier = self.verifier()
