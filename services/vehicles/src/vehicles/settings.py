"""Settings of the vehicles service (environment variables, working local defaults)."""

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "vehicles"
    api_prefix: str = "/api/vehicles"
    port: int = 8103
