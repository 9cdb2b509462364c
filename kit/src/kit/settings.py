"""Settings shared by every process: environment variables with working local defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    """What every process of the platform reads (services and portal)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    log_json: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    # Public address of the gateway: links in e-mails point here.
    public_base_url: str = "http://127.0.0.1:8000"

    @property
    def is_development(self) -> bool:
        return self.environment != "production"


class ServiceSettings(CommonSettings):
    """Settings of a domain service; each service subclasses it and sets its name and port."""

    service_name: str = "service"
    api_prefix: str = "/api/service"

    database_url: str = ""
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    events_exchange: str = "parking.events"
    # Prefixes every queue this service declares, so that test runs never share queues.
    queue_prefix: str = ""

    # At most the database pool (10 + 10 overflow) shared with requests: more would only queue.
    consumer_prefetch: int = 8
    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_retry_base_ms: int = Field(default=1000, ge=1)
    relay_batch_size: int = 200
    relay_poll_interval_s: float = 1.0
    relay_retry_base_s: float = 0.5
    relay_retry_max_s: float = 60.0
    run_relay: bool = True
    run_consumer: bool = True
    # Periodic jobs: how often a replica looks for a due period.
    run_jobs: bool = True
    jobs_poll_interval_s: float = Field(default=5.0, gt=0)

    # Proxies whose X-Forwarded-For / X-Forwarded-Proto uvicorn believes: comma-separated
    # addresses or CIDRs (the gateway), "*" for any. A service deciding by client address
    # (identity's login throttling) narrows it.
    forwarded_allow_ips: str = "*"

    jwks_url: str = "http://127.0.0.1:8101/api/identity/.well-known/jwks.json"
    jwt_issuer: str = "parkingcaserta-identity"
    jwt_audience: str = "parkingcaserta"
    jwks_cache_s: int = 300

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/parking_{self.service_name}"
        return self

    @property
    def queue_name(self) -> str:
        return f"{self.queue_prefix}{self.service_name}.events"
