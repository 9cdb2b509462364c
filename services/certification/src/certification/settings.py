"""Settings of the certification service (environment variables, working local defaults)."""

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "certification"
    api_prefix: str = "/api/certifications"
    port: int = 8102
