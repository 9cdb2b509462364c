"""When a delivery is over: which SMTP answers are final, when a failed message is tried
again, when a code or link is no longer worth sending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosmtplib

from kit.worker import Backoff


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer about this message (bad recipient, refused content): retrying cannot help."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= r.code < 600 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(
        exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPConnectResponseError
    ):
        return 500 <= exc.code < 600
    return False


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """The code or link inside stopped working: delivering it now would only confuse."""
    return expires_at is not None and expires_at <= now


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff: Backoff

    def next_attempt(self, failed_attempts: int, now: datetime, *, permanent: bool) -> datetime | None:
        """When to try again after ``failed_attempts`` attempts, the last one failed; None
        when the message is given up (a permanent failure, or no attempt left)."""
        if permanent or failed_attempts >= self.max_attempts:
            return None
        return now + timedelta(seconds=self.backoff.delay(failed_attempts))
