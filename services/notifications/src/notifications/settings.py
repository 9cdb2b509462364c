"""Settings of the notifications service (environment variables, working local defaults)."""

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "notifications"
    api_prefix: str = "/api/notifications"
    port: int = 8106
