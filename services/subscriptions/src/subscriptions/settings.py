"""Settings of the subscriptions service (environment variables, working local defaults)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import Field

from kit.settings import ServiceSettings

EXAMPLE_TYPES = Path(__file__).parent / "data" / "subscription_types.example.json"


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
