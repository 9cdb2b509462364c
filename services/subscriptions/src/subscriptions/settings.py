"""Settings of the subscriptions service (environment variables, working local defaults)."""

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "subscriptions"
    api_prefix: str = "/api/subscriptions"
    port: int = 8104
