"""Settings of the billing service (environment variables, working local defaults)."""

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "billing"
    api_prefix: str = "/api/billing"
    port: int = 8105
