"""Rotatable signing keys, shared by the services that sign (identity's access tokens,
subscriptions' tickets): private keys sealed at rest with a secret, and the schedule that
says which key signs and which are published.

Keys are ordered by activation: each one signs from its activation until the next one's. A
key not yet active is published already (verifiers learn it before the first thing it signs).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class KeySealer:
    """AES-GCM with a key derived (HKDF) from a service's secret and the purpose; the kid is
    bound as associated data, so a sealed key cannot be swapped for another row's."""

    def __init__(self, secret: bytes, purpose: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, kid: str, raw: bytes) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, raw, kid.encode())).decode()

    def open(self, kid: str, sealed: str) -> bytes:
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], kid.encode())


@dataclass(frozen=True)
class ScheduledKey:
    kid: str
    activates_at: datetime


def by_activation(keys: Sequence[ScheduledKey]) -> list[ScheduledKey]:
    return sorted(keys, key=lambda k: (k.activates_at, k.kid))


def signing_kid(keys: Sequence[ScheduledKey], now: datetime) -> str | None:
    active = [k for k in by_activation(keys) if k.activates_at <= now]
    return active[-1].kid if active else None
