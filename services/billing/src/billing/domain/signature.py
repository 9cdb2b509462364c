"""The signature of the provider's notifications: HMAC-SHA256 over the timestamp and the raw
body, sent as ``X-Signature: t=<unix seconds>,v1=<hex>``.

The timestamp is inside the signed text, so a captured notification cannot be replayed with a
fresh one; outside the tolerance window it is refused, and within it a replay changes nothing
(the receiver is idempotent). Digests are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

HEADER = "X-Signature"
SCHEME = "v1"
_PART = re.compile(r"^\s*([a-z0-9]+)=([A-Za-z0-9]+)\s*$")
_MAX_HEADER = 1024


class SignatureError(ValueError):
    """Why a signature was refused (for the log; the sender only learns it was refused)."""


def _digest(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The ``X-Signature`` header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},{SCHEME}={_digest(secret, timestamp, body)}"


def parse_header(header: str) -> tuple[int, list[str]]:
    """The timestamp and every ``v1`` digest of a header (a sender rotating its secret may
    send two)."""
    if not header or len(header) > _MAX_HEADER:
        raise SignatureError("missing or oversized header")
    timestamp: int | None = None
    digests: list[str] = []
    for part in header.split(","):
        match = _PART.match(part)
        if match is None:
            raise SignatureError("malformed header")
        key, value = match.groups()
        if key == "t":
            if not value.isdigit() or len(value) > 12:
                raise SignatureError("malformed timestamp")
            timestamp = int(value)
        elif key == SCHEME:
            digests.append(value.lower())
    if timestamp is None or not digests:
        raise SignatureError("timestamp or digest missing")
    return timestamp, digests


def verify(secret: bytes, header: str, body: bytes, *, now: datetime, tolerance_s: int) -> int:
    """The signed timestamp when ``header`` signs exactly ``body`` with ``secret`` within
    ``tolerance_s`` of ``now``; ``SignatureError`` otherwise."""
    timestamp, digests = parse_header(header)
    if abs(now.timestamp() - timestamp) > tolerance_s:
        raise SignatureError("timestamp outside the tolerance window")
    expected = _digest(secret, timestamp, body)
    # Every candidate is compared (no early exit on the first match).
    matches = [hmac.compare_digest(expected, digest) for digest in digests]
    if not any(matches):
        raise SignatureError("digest mismatch")
    return timestamp
