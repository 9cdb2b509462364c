"""Settings of the certification service (environment variables, working local defaults)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from certification.domain.validity import END_OF_YEAR, ValidityRule
from kit.settings import ServiceSettings

EXAMPLE_SECTORS = Path(__file__).parent / "data" / "sectors.example.json"


class Settings(ServiceSettings):
    service_name: str = "certification"
    api_prefix: str = "/api/certifications"
    port: int = 8102

    # Until when an approved certification is valid: "end_of_year" (31 December of the year
    # of approval) or a number of days, the day of approval included ("365").
    certification_valid_until: str = END_OF_YEAR
    # How often the expiry job looks for certifications whose validity ended.
    expiry_interval_s: float = Field(default=3600.0, gt=0)

    # Each attached document (identity document, self-certification): PDF, JPEG or PNG.
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    # The sectors loaded by `python -m certification seed` (inserted when missing, never
    # overwritten): the example file until the municipality provides its own.
    sectors_file: Path = EXAMPLE_SECTORS

    # Printed on the self-certification form.
    municipality_office: str = "Ufficio Mobilità e Traffico"

    @field_validator("certification_valid_until")
    @classmethod
    def _validity(cls, value: str) -> str:
        ValidityRule.parse(value)
        return value.strip().lower()

    @property
    def validity(self) -> ValidityRule:
        return ValidityRule.parse(self.certification_valid_until)
