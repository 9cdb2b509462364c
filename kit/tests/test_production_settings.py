"""ENVIRONMENT=production refuses every development value, naming the setting (kit.settings)."""

from __future__ import annotations

import pytest
from pydantic import Field, SecretStr

from kit.settings import DevelopmentValuesError, ServiceSettings, refused_in_production

PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql+asyncpg://vehicles:Zq8-long-random@postgres:5432/parking_vehicles",
    "amqp_url": "amqp://vehicles:Zq8-long-random@rabbitmq:5672/",
}


class Example(ServiceSettings):
    service_name: str = "example"
    api_token: SecretStr = SecretStr("compose-dev-only-api-token-do-not-use-in-production")
    legacy_secret: SecretStr = SecretStr("a-real-one-set-by-the-operator-0123456789")
    debug_console: bool = Field(default=False, json_schema_extra=refused_in_production(True))


def production(**overrides: object) -> Example:
    return Example(**{**PRODUCTION, "api_token": "Zq8-random-token-0123456789abcdef", **overrides})


def test_production_values_are_accepted() -> None:
    assert production().environment == "production"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"api_token": "compose-dev-only-api-token"}, "API_TOKEN holds a public development default"),
        ({"legacy_secret": "development-only-secret-do-not-use"}, "LEGACY_SECRET holds a public"),
        ({"legacy_secret": "changethis"}, "LEGACY_SECRET"),
        ({"legacy_secret": "change-me"}, "LEGACY_SECRET is a placeholder"),
        ({"debug_console": True}, "DEBUG_CONSOLE=True is for development only"),
        ({"database_url": ""}, "DATABASE_URL is not set"),
        ({"database_url": "postgresql+asyncpg://postgres@127.0.0.1:5432/x"}, "DATABASE_URL carries no"),
        ({"database_url": "postgresql+asyncpg://u:parking-db-dev-only@db/x"}, "DATABASE_URL holds a public"),
        ({"amqp_url": "amqp://guest:guest@127.0.0.1:5672/"}, "AMQP_URL uses RabbitMQ's public guest"),
        ({"amqp_url": "amqp://rabbitmq:5672/"}, "AMQP_URL carries no user and password"),
    ],
)
def test_production_refuses_a_development_value_naming_the_setting(overrides: dict, named: str) -> None:
    with pytest.raises(DevelopmentValuesError, match="ENVIRONMENT=production refuses") as refused:
        production(**overrides)
    assert named in str(refused.value)


def test_every_development_value_is_named_at_once() -> None:
    with pytest.raises(DevelopmentValuesError) as refused:
        Example(environment="production")
    message = str(refused.value)
    for variable in ("API_TOKEN", "DATABASE_URL", "AMQP_URL"):
        assert variable in message
    assert "LEGACY_SECRET" not in message and "DEBUG_CONSOLE" not in message


def test_development_values_are_read_from_the_environment_too(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name.upper(), value)
    monkeypatch.setenv("API_TOKEN", "Zq8-random-token-0123456789abcdef")
    monkeypatch.setenv("DEBUG_CONSOLE", "true")
    with pytest.raises(DevelopmentValuesError, match="DEBUG_CONSOLE"):
        Example()
    monkeypatch.setenv("DEBUG_CONSOLE", "")  # empty: the default
    assert Example().debug_console is False


@pytest.mark.parametrize("environment", ["development", "test"])
def test_outside_production_the_development_defaults_work(environment: str) -> None:
    settings = Example(environment=environment)
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/parking_example"
    assert settings.amqp_url.startswith("amqp://guest:guest@")
