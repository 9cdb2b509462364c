"""Secrets handed to people (OTPs, links, refresh tokens) and the digests stored instead.

Only a keyed digest (HMAC-SHA256 with the service's secret key) reaches the database: a copy
of the tables alone does not let anyone try the million possible OTPs offline.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

OTP_DIGITS = 6


def new_otp() -> str:
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def new_token() -> str:
    """256 random bits, URL-safe (fits in a query string)."""
    return secrets.token_urlsafe(32)


def digest(key: bytes, purpose: str, value: str) -> str:
    """``purpose`` binds the digest to one use (an OTP of one session, a reset link...)."""
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def matches(key: bytes, purpose: str, value: str, expected: str) -> bool:
    return hmac.compare_digest(digest(key, purpose, value), expected)


def is_otp_shaped(value: str) -> bool:
    return len(value) == OTP_DIGITS and value.isascii() and value.isdigit()
