"""The browser's address, vouched for by the portal.

Identity throttles logins and registrations per client address, and the gateway rate-limits
the authentication routes per client address. For requests the portal makes on a citizen's
behalf the address that matters is the citizen's browser, not the portal's; a forwarded-for
header would let anyone who reaches the gateway from a trusted network choose their own
bucket. So the portal sends the address with an HMAC over it and the time (a secret the
portal, identity and the gateway's check share), and a receiver believes it only when the
signature holds and is recent.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from collections.abc import Mapping

ADDRESS_HEADER = "X-Client-Address"
SIGNATURE_HEADER = "X-Client-Address-Signature"
# A signed address older than this is refused: long enough for a slow request through the
# gateway, short enough that a captured header is soon worthless.
MAX_AGE_S = 60
# Clock skew between the portal's and the receiver's machines.
MAX_FUTURE_S = 5


def _mac(secret: bytes, address: str, timestamp: int) -> str:
    return hmac.new(secret, f"{address}|{timestamp}".encode(), hashlib.sha256).hexdigest()


def signed_headers(address: str, secret: bytes, *, now: float | None = None) -> dict[str, str]:
    """The two headers that carry ``address`` to a receiver sharing ``secret``."""
    timestamp = int(now if now is not None else time.time())
    return {ADDRESS_HEADER: address, SIGNATURE_HEADER: f"{timestamp}.{_mac(secret, address, timestamp)}"}


def verified_address(headers: Mapping[str, str], secret: bytes, *, now: float | None = None) -> str | None:
    """The address the headers carry when their signature is valid and recent, else None (no
    headers, a forged or stale signature, or something that is not an IP address)."""
    address = headers.get(ADDRESS_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if not address or not signature:
        return None
    timestamp_text, _, mac = signature.partition(".")
    if not timestamp_text.isdigit() or len(timestamp_text) > 12:
        return None
    timestamp = int(timestamp_text)
    current = now if now is not None else time.time()
    if not (current - MAX_AGE_S <= timestamp <= current + MAX_FUTURE_S):
        return None
    if not hmac.compare_digest(mac, _mac(secret, address, timestamp)):
        return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
