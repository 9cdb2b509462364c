"""Settings shared by every process: environment variables with working local defaults.

The local defaults are development values: ENVIRONMENT=production refuses to start while any
remains (``CommonSettings.development_values``), naming each setting. A secret's development
default carries the ``dev-only`` marker; any other development value is declared on its field
with ``Field(json_schema_extra=refused_in_production(...))``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# The marker of a public development default ("development-only" and the portal's "changethis"
# are the older spellings of it): a value holding it is readable by anyone in the repository.
DEV_ONLY = "dev-only"
_DEVELOPMENT_MARKER = re.compile(r"dev(elopment)?-only|changethis", re.IGNORECASE)
_PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "changethis", "secret", "password"})
_REFUSED_IN_PRODUCTION = "refused_in_production"


class DevelopmentValuesError(ValueError):
    """A production process was given development values: it must not start."""


def refused_in_production(*values: Any) -> dict[str, Any]:
    """``json_schema_extra`` of a setting whose listed values only make sense in development."""
    return {_REFUSED_IN_PRODUCTION: list(values)}


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class CommonSettings(BaseSettings):
    """What every process of the platform reads (services and portal)."""

    # An empty variable keeps the default (Compose passes unset optional values as "").
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

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

    def development_values(self) -> Iterator[str]:
        """What in these settings is a development value, each naming its variable."""
        for name, info in type(self).model_fields.items():
            value = _plain(getattr(self, name))
            variable = name.upper()
            if isinstance(value, str) and _DEVELOPMENT_MARKER.search(value):
                yield f"{variable} holds a public development default"
            elif isinstance(getattr(self, name), SecretStr) and value.strip().lower() in _PLACEHOLDER_SECRETS:
                yield f"{variable} is a placeholder"
            extra = info.json_schema_extra
            if isinstance(extra, dict) and value in extra.get(_REFUSED_IN_PRODUCTION, ()):  # type: ignore[operator]
                yield f"{variable}={value} is for development only"

    def __init__(self, **values: Any) -> None:
        # Checked here rather than in a validator: after every validator of every subclass,
        # so that a service's own, more specific refusal speaks first.
        super().__init__(**values)
        if self.environment == "production":
            found = list(self.development_values())
            if found:
                raise DevelopmentValuesError(
                    "ENVIRONMENT=production refuses development values: " + "; ".join(found)
                )


class ServiceSettings(CommonSettings):
    """Settings of a domain service; each service subclasses it and sets its name and port."""

    service_name: str = "service"
    api_prefix: str = "/api/service"

    database_url: str = ""
    # Connections kept open by the process's pool (as many again while busy, closed after):
    # what PostgreSQL's max_connections must hold per replica (deploy/k8s counts it).
    db_pool_size: int = Field(default=10, ge=1, le=50)
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    events_exchange: str = "parking.events"
    # Prefixes every queue this service declares, so that test runs never share queues.
    queue_prefix: str = ""

    # Deliveries in hand at once. The consumer handles those that wait together, in at most two
    # transactions (kit.consumer), so this no longer costs a pool connection per message: 64
    # gave about 1.4 ms of CPU per event against 2.1 at 8 (bench, one run).
    consumer_prefetch: int = 64
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
        if not self.database_url and self.environment != "production":
            self.database_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/parking_{self.service_name}"
        return self

    def development_values(self) -> Iterator[str]:
        yield from super().development_values()
        yield from _database_url_problems(self.database_url)
        yield from _amqp_url_problems(self.amqp_url)

    @property
    def queue_name(self) -> str:
        return f"{self.queue_prefix}{self.service_name}.events"


def _database_url_problems(url: str) -> Iterator[str]:
    if not url:
        yield "DATABASE_URL is not set"
        return
    try:
        parsed = make_url(url)
    except ArgumentError:
        yield "DATABASE_URL is not a database URL"
        return
    if not parsed.username or not parsed.password:
        yield "DATABASE_URL carries no user and password"


def _amqp_url_problems(url: str) -> Iterator[str]:
    parsed = urlsplit(url)
    if not parsed.username or not parsed.password:
        yield "AMQP_URL carries no user and password"
    elif parsed.username == "guest" or parsed.password == "guest":
        yield "AMQP_URL uses RabbitMQ's public guest account"


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_or_refuse(factory: Callable[[], SettingsT], program: str) -> SettingsT:
    """The settings, or a one-line refusal naming the settings at fault (no traceback): a
    process with a bad configuration must not start, and must say why."""
    try:
        return factory()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])).upper() or 'settings'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise SystemExit(f"python -m {program}: configuration refused: {problems}") from None
    except DevelopmentValuesError as exc:
        raise SystemExit(f"python -m {program}: configuration refused: {exc}") from None
