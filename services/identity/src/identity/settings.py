"""Settings of the identity service (environment variables, working local defaults)."""

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "identity"
    api_prefix: str = "/api/identity"
    port: int = 8101
