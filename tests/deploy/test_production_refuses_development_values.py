"""Every process started with ENVIRONMENT=production and any development value left refuses to
start, naming the setting: through its real entry point (`python -m <service> serve`)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import uvicorn

SERVICES = ("identity", "certification", "vehicles", "subscriptions", "billing", "notifications")
SECRET = "Zq8wX2-production-random-0123456789abcdef"


def production_env(service: str) -> dict[str, str]:
    """A complete production configuration of ``service`` (or the portal): it starts."""
    env = {"ENVIRONMENT": "production", "CLIENT_ADDRESS_SECRET": SECRET}
    if service == "portal":
        return {
            **env,
            "SESSION_SECRET": SECRET,
            "COMUNE_PEC": "protocollo@pec.comune.caserta.it",
            "COMUNE_PHONE": "+39 0823 273111",
            "COMUNE_TAX_CODE": "80004770618",
            "COMUNE_VAT_NUMBER": "00123450615",
        }
    env |= {
        "DATABASE_URL": f"postgresql+asyncpg://{service}:{SECRET}@postgres:5432/parking_{service}",
        "AMQP_URL": f"amqp://{service}:{SECRET}@rabbitmq:5672/",
    }
    env |= {
        "identity": {"SECRET_KEY": SECRET},
        "subscriptions": {"TICKET_KEYS_SECRET": SECRET},
        "billing": {"PROVIDER_NOTIFICATION_SECRET": SECRET},
        "notifications": {
            "SMTP_HOST": "smtp.example.it",
            "SMTP_PORT": "587",
            "SUPPORT_CONTACT": "Ufficio Mobilità, tel. 0823 000000",
        },
    }.get(service, {})
    return env


# (service, variable to change, value: None = unset, i.e. the development default)
DEVELOPMENT_VALUES = [
    *[(s, "DATABASE_URL", None) for s in SERVICES],
    *[(s, "DATABASE_URL", f"postgresql+asyncpg://{s}@postgres:5432/parking_{s}") for s in SERVICES],
    *[(s, "AMQP_URL", None) for s in SERVICES],
    *[(s, "AMQP_URL", "amqp://guest:guest@rabbitmq:5672/") for s in SERVICES],
    ("identity", "SECRET_KEY", None),
    ("identity", "CLIENT_ADDRESS_SECRET", None),
    ("subscriptions", "TICKET_KEYS_SECRET", None),
    ("subscriptions", "TICKET_KEYS_SECRET", "compose-dev-only-ticket-keys-secret-do-not-use"),
    ("billing", "PROVIDER_NOTIFICATION_SECRET", None),
    ("billing", "SANDBOX_ENABLED", "true"),
    ("notifications", "SMTP_HOST", "mailcatcher"),
    ("notifications", "SMTP_PORT", None),
    ("portal", "SESSION_SECRET", None),
    ("portal", "CLIENT_ADDRESS_SECRET", None),
    # The Comune's details the pages show: placeholders until set.
    ("portal", "COMUNE_PEC", None),
    ("portal", "COMUNE_PHONE", None),
    ("portal", "COMUNE_TAX_CODE", None),
    ("portal", "COMUNE_VAT_NUMBER", None),
]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Only what a test sets: no variable of this machine, no .env file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(uvicorn, "run", _must_not_serve)
    for name in list(os.environ):
        if name not in ("PATH", "HOME", "LANG", "TZ"):
            monkeypatch.delenv(name)
    return monkeypatch


def _must_not_serve(*_: object, **__: object) -> None:
    raise AssertionError("started serving with development values")


def start(service: str) -> None:
    """The process's real start, up to the point where it would listen."""
    module = importlib.import_module(f"{service}.__main__")
    if service == "portal":
        module.main(["serve"])
    else:
        module.cli.main(["serve"])


def settings_of(service: str) -> object:
    if service == "portal":
        from portal.settings import PortalSettings

        return PortalSettings()
    return importlib.import_module(f"{service}.__main__").cli.settings_factory()


@pytest.mark.parametrize("service", [*SERVICES, "portal"])
def test_a_complete_production_configuration_is_accepted(
    environment: pytest.MonkeyPatch, service: str
) -> None:
    for name, value in production_env(service).items():
        environment.setenv(name, value)
    assert settings_of(service).environment == "production"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("service", "variable", "value"),
    DEVELOPMENT_VALUES,
    ids=[f"{s}-{v}-{'default' if x is None else x.split('@')[0][:20]}" for s, v, x in DEVELOPMENT_VALUES],
)
def test_production_start_refuses_a_development_value_naming_it(
    environment: pytest.MonkeyPatch, service: str, variable: str, value: str | None
) -> None:
    for name, good in production_env(service).items():
        environment.setenv(name, good)
    if value is None:
        environment.delenv(variable, raising=False)
    else:
        environment.setenv(variable, value)

    with pytest.raises((SystemExit, ValueError)) as refused:
        start(service)

    assert variable in str(refused.value)


# Two processes suffice (they share kit.cli); each takes seconds to import.
def serve(program: str, *, without: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m <program> serve` in a process of its own, with a production configuration
    lacking ``without`` (and nothing else of this machine's environment but PATH)."""
    env = {k: v for k, v in production_env(program).items() if k != without}
    env["PATH"] = os.environ["PATH"]
    command = [sys.executable, "-m", program, "serve"]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("service", ["identity", "billing"])
def test_python_m_service_serve_exits_with_the_refusal(service: str, tmp_path: Path) -> None:
    result = serve(service, without="AMQP_URL", cwd=tmp_path)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"python -m {service}: configuration refused: ENVIRONMENT=production")
    assert "AMQP_URL uses RabbitMQ's public guest account" in last_line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "refusal"),
    [
        ("CLIENT_ADDRESS_SECRET", "ENVIRONMENT=production refuses development values: CLIENT_ADDRESS_SECRET"),
        ("SESSION_SECRET", "SESSION_SECRET must be a random value"),
    ],
)
def test_python_m_portal_serve_exits_with_the_refusal(variable: str, refusal: str, tmp_path: Path) -> None:
    result = serve("portal", without=variable, cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("python -m portal: configuration refused: ")
    assert refusal in line
