"""Signing keys sealed at rest and their schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidTag

from kit.keys import KeySealer, ScheduledKey, signing_kid


def test_a_sealed_key_opens_only_with_its_secret_its_purpose_and_its_kid() -> None:
    sealer = KeySealer(b"s" * 48, "tickets v1")
    sealed = sealer.seal("k1", b"private key bytes")
    assert sealer.open("k1", sealed) == b"private key bytes"
    for other, kid in [
        (KeySealer(b"t" * 48, "tickets v1"), "k1"),
        (KeySealer(b"s" * 48, "tokens v1"), "k1"),
        (sealer, "k2"),
    ]:
        with pytest.raises(InvalidTag):
            other.open(kid, sealed)


def test_the_key_activated_last_before_now_signs() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    keys = [ScheduledKey("a", t0), ScheduledKey("b", t0 + timedelta(days=10))]
    assert signing_kid(keys, t0 - timedelta(seconds=1)) is None
    assert signing_kid(keys, t0 + timedelta(days=9)) == "a"
    assert signing_kid(keys, t0 + timedelta(days=10)) == "b"
