"""kit.client_address: what a receiver believes of a signed browser address."""

from __future__ import annotations

import pytest

from kit.client_address import ADDRESS_HEADER, SIGNATURE_HEADER, signed_headers, verified_address

SECRET = b"s" * 32
NOW = 1_800_000_000


def test_a_fresh_signature_is_believed_and_normalised() -> None:
    headers = signed_headers("2001:DB8::1", SECRET, now=NOW)
    assert verified_address(headers, SECRET, now=NOW + 30) == "2001:db8::1"


@pytest.mark.parametrize(
    "change",
    [
        lambda h: {ADDRESS_HEADER: "203.0.113.2", SIGNATURE_HEADER: h[SIGNATURE_HEADER]},  # other address
        lambda h: {ADDRESS_HEADER: h[ADDRESS_HEADER]},  # no signature
        lambda h: {SIGNATURE_HEADER: h[SIGNATURE_HEADER]},  # no address
        lambda h: {**h, SIGNATURE_HEADER: h[SIGNATURE_HEADER].replace(str(NOW), str(NOW + 1))},  # other time
        lambda h: {**h, SIGNATURE_HEADER: "x." + h[SIGNATURE_HEADER].split(".")[1]},  # no number
        lambda h: {**h, SIGNATURE_HEADER: "9" * 40 + ".00"},  # absurd time
    ],
)
def test_anything_but_the_signed_pair_is_refused(change) -> None:  # noqa: ANN001
    headers = signed_headers("203.0.113.1", SECRET, now=NOW)
    assert verified_address(change(headers), SECRET, now=NOW) is None


def test_a_signature_is_good_for_a_minute_and_not_from_the_future() -> None:
    headers = signed_headers("203.0.113.1", SECRET, now=NOW)
    assert verified_address(headers, SECRET, now=NOW + 60) == "203.0.113.1"
    assert verified_address(headers, SECRET, now=NOW + 61) is None
    assert verified_address(headers, SECRET, now=NOW - 6) is None


def test_another_secret_or_a_non_address_is_refused() -> None:
    assert verified_address(signed_headers("203.0.113.1", SECRET, now=NOW), b"t" * 32, now=NOW) is None
    assert verified_address(signed_headers("not-an-ip", SECRET, now=NOW), SECRET, now=NOW) is None
