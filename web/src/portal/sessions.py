"""The portal's session cookie, encrypted.

Starlette's session cookie is signed but readable: the access and refresh tokens in it would
be one base64 decode away from anyone holding a copy of the cookie. Here the same middleware
seals the whole session with Fernet (AES-128-CBC + HMAC-SHA256, with a timestamp checked
against the cookie's age) under a key derived from SESSION_SECRET. A copy of the cookie is
still a bearer credential for the portal itself, which is why every page also checks with
identity that the login behind it is still alive (``portal.deps.load_session_user``): logout
ends it everywhere.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from itsdangerous.exc import BadSignature
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp


class _FernetSealer:
    """What SessionMiddleware expects of its signer (``sign``/``unsign``), encrypting too."""

    def __init__(self, secret: str) -> None:
        # A key of its own: the raw secret is never used for two purposes.
        digest = hashlib.sha256(b"portal-session-cookie\0" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def sign(self, value: bytes) -> bytes:
        return self._fernet.encrypt(value)

    def unsign(self, value: bytes, max_age: int | None = None) -> bytes:
        try:
            return self._fernet.decrypt(value, ttl=max_age)
        except InvalidToken:
            # What SessionMiddleware treats as "no session" (tampered, expired, or signed-only
            # cookies of an earlier release).
            raise BadSignature("session cookie not readable") from None


class EncryptedSessionMiddleware(SessionMiddleware):
    def __init__(self, app: ASGIApp, secret_key: str, **options: object) -> None:
        super().__init__(app, secret_key, **options)  # type: ignore[arg-type]
        self.signer = _FernetSealer(secret_key)  # type: ignore[assignment]
