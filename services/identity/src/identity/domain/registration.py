"""Rules of a registration session (Fase 3): it lasts a fixed time from its start, the OTP
allows a few wrong attempts, and a new OTP can be asked for only so often."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from kit.errors import FieldError


@dataclass(frozen=True)
class OtpPolicy:
    max_attempts: int
    resend_interval: timedelta
    max_resends: int


def is_expired(expires_at: datetime, now: datetime) -> bool:
    return expires_at <= now


def seconds_left(expires_at: datetime, now: datetime) -> int:
    return max(0, math.floor((expires_at - now).total_seconds()))


def attempts_left(wrong_attempts: int, policy: OtpPolicy) -> int:
    return max(0, policy.max_attempts - wrong_attempts)


def is_locked(wrong_attempts: int, policy: OtpPolicy) -> bool:
    return attempts_left(wrong_attempts, policy) == 0


def resend_wait_s(
    *, last_sent_at: datetime, resends: int, expires_at: datetime, now: datetime, policy: OtpPolicy
) -> int | None:
    """Seconds before another OTP may be sent, or None when it may be sent now. Once the
    resends are used up, the answer is the rest of the session."""
    if resends >= policy.max_resends:
        return max(1, seconds_left(expires_at, now))
    ready_at = last_sent_at + policy.resend_interval
    if ready_at <= now:
        return None
    return max(1, math.ceil((ready_at - now).total_seconds()))


def privacy_errors(accepted: bool, version: str | None, current_version: str) -> list[FieldError]:
    if not accepted:
        return [
            FieldError(
                "privacy_accepted", "privacy_required", "È obbligatorio accettare l'informativa privacy."
            )
        ]
    if version is not None and version != current_version:
        return [
            FieldError(
                "privacy_version",
                "privacy_outdated",
                "L'informativa privacy è stata aggiornata: leggi e accetta la versione in vigore.",
            )
        ]
    return []
