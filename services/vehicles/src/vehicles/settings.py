"""Settings of the vehicles service (environment variables, working local defaults)."""

from pydantic import Field

from kit.settings import ServiceSettings

MIB = 1024 * 1024


class Settings(ServiceSettings):
    service_name: str = "vehicles"
    api_prefix: str = "/api/vehicles"
    port: int = 8103

    # Largest file accepted for each document of a request (checked while it streams); the
    # gateway's upload limit (25 MiB) bounds the whole form.
    upload_max_bytes: int = Field(default=10 * MIB, ge=1024, le=20 * MIB)
