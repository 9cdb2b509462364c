"""Settings of the subscriptions service (environment variables, working local defaults)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from kit.settings import ServiceSettings

EXAMPLE_TYPES = Path(__file__).parent / "data" / "subscription_types.example.json"
_DEVELOPMENT_SECRET = "dev-only-ticket-keys-secret-do-not-use-in-production"


class Settings(ServiceSettings):
    service_name: str = "subscriptions"
    api_prefix: str = "/api/subscriptions"
    port: int = 8104

    # An approved request must be paid by this many days after the approval's day (included).
    payment_deadline_days: int = Field(default=15, ge=1, le=365)
    # The payment reminder goes out this many days before that deadline (0: on its last day).
    payment_reminder_days_before: int = Field(default=3, ge=0, le=60)
    # How often the reminder and expiry jobs look for requests whose day has come.
    payment_jobs_interval_s: float = Field(default=3600.0, gt=0)

    # The VAT rate of a new subscription type when the admin does not give one (percent).
    default_vat_rate: Decimal = Field(default=Decimal("22"), ge=0, le=100, decimal_places=2)

    # The subscription types loaded by `python -m subscriptions seed` (inserted when missing,
    # never overwritten): the example file until the municipality provides its own.
    subscription_types_file: Path = EXAMPLE_TYPES

    # Renewal ("Rinnova"): offered from this many days before a subscription's last day.
    renewal_window_days: int = Field(default=30, ge=1, le=365)
    # How often the jobs look for subscriptions to remind (30 and 7 days before their end) and
    # subscriptions that have ended.
    subscription_jobs_interval_s: float = Field(default=3600.0, gt=0)

    # Tickets: their Ed25519 signing keys are sealed at rest with a key derived from this
    # secret. Outside development it must be set (TICKET_KEYS_SECRET) to a long random value,
    # and kept: a replica with another secret cannot sign (`rotate-ticket-key --immediately`
    # replaces the keys, and every ticket must then be downloaded again).
    ticket_keys_secret: SecretStr = SecretStr(_DEVELOPMENT_SECRET)
    # A rotated-in key is published this long before it signs, so that every enforcement
    # device has fetched it before it meets a ticket it signed (devices refresh daily).
    ticket_key_prepublish_s: int = Field(default=86400, ge=0)
    # How long clients and devices may cache the published keys document.
    ticket_keys_cache_s: int = Field(default=3600, ge=0)

    @model_validator(mode="after")
    def _refuse_development_secret(self) -> Settings:
        secret = self.ticket_keys_secret.get_secret_value()
        if self.environment == "production" and (secret == _DEVELOPMENT_SECRET or len(secret) < 32):
            raise ValueError(
                "TICKET_KEYS_SECRET must be set to a random value of at least 32 characters in production"
            )
        return self
