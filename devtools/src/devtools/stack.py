"""Prepare a machine for a local run.

    python -m devtools.stack infra     # PostgreSQL and RabbitMQ answer on localhost
    python -m devtools.stack prepare   # infra, then migrate and seed every service
    python -m devtools.stack announce  # (Procfile) wait for a local run, print its URLs

PostgreSQL (127.0.0.1:5432, user postgres without password) and RabbitMQ (127.0.0.1:5672,
guest/guest) are used when they answer; otherwise they are started when installed on this
machine, else as containers when a Docker engine answers, else installed from the Debian or
Ubuntu packages (postgresql, rabbitmq-server) when this runs as root or with passwordless sudo,
else this prints what to install.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from devtools.services import DEVMAIL_PORT, GATEWAY_PORT, PORTAL_PORT, SERVICES, Service

if TYPE_CHECKING:
    from kit.cli import ServiceCli
    from kit.settings import ServiceSettings

PG_HOST, PG_PORT = "127.0.0.1", 5432
AMQP_HOST, AMQP_PORT = "127.0.0.1", 5672
PG_ADMIN_DSN = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
POSTGRES_CONFIG = Path("/etc/postgresql")


POSTGRES_HINT = (
    "  sudo apt-get install -y postgresql\n"
    "  # the services log in as user postgres without a password from 127.0.0.1; add to\n"
    "  # /etc/postgresql/<version>/main/pg_hba.conf, before the other host lines:\n"
    "  #   host all postgres 127.0.0.1/32 trust\n"
    "  sudo pg_ctlcluster <version> main restart"
)


class PrepareError(RuntimeError):
    pass


def say(message: str) -> None:
    print(f"stack: {message}", flush=True)


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout_s: float, interval_s: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval_s)
    return check()


def postgres_accepts() -> bool:
    """A real login, not only an open port: a starting server refuses connections."""

    async def login() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=2)
        await conn.close()

    try:
        asyncio.run(login())
        return True
    except (TimeoutError, OSError, asyncpg.CannotConnectNowError):
        return False
    except asyncpg.PostgresError as exc:  # it answers, but refuses us: waiting will not help
        raise PrepareError(f"PostgreSQL refuses {PG_ADMIN_DSN}: {exc}\n{POSTGRES_HINT}") from None


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@dataclass(frozen=True)
class Machine:
    """What this machine lets us install with."""

    is_root: bool
    passwordless_sudo: bool
    has_apt: bool

    @classmethod
    def detect(cls) -> Machine:
        is_root = os.geteuid() == 0
        sudo = False
        if not is_root and shutil.which("sudo"):
            try:
                sudo = subprocess.run(["sudo", "-n", "true"], capture_output=True, timeout=10).returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                sudo = False
        return cls(is_root, sudo, shutil.which("apt-get") is not None)

    @property
    def as_root(self) -> list[str] | None:
        """The prefix that runs a command as root, None when nothing can."""
        if self.is_root:
            return []
        return ["sudo", "-n"] if self.passwordless_sudo else None


def install_commands(packages: tuple[str, ...], machine: Machine) -> list[list[str]] | None:
    """apt-get update then install, as root; None when this machine cannot install."""
    if not packages or not machine.has_apt or machine.as_root is None:
        return None
    root = [*machine.as_root, "env", "DEBIAN_FRONTEND=noninteractive"]
    return [
        [*root, "apt-get", "update", "-q"],
        [*root, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
    ]


def install_from_packages(name: str, packages: tuple[str, ...], machine: Machine | None = None) -> bool:
    machine = machine or Machine.detect()
    commands = install_commands(packages, machine)
    if commands is None:
        say(
            f"{name}: cannot install {' '.join(packages)} here (needs apt-get, and root or passwordless sudo)"
        )
        return False
    say(f"installing {name} from the distribution's packages: {' '.join(packages)}")
    return all(run(command, timeout_s=900) for command in commands)


def as_root_if_possible(command: list[str]) -> list[str]:
    """Servers installed from packages belong to root: start them as root when we may."""
    prefix = Machine.detect().as_root
    return [*prefix, *command] if prefix else command


def run(command: list[str], timeout_s: float = 120) -> bool:
    say("$ " + " ".join(command))
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        say(f"  failed: {exc}")
        return False
    if result.returncode != 0:
        say(f"  failed ({result.returncode}): {(result.stderr or result.stdout).strip()[-800:]}")
    return result.returncode == 0


def docker_container(name: str, image: str, port: int, env: dict[str, str]) -> bool:
    """Start the named container, creating it on first use (its data survives restarts)."""
    if run(["docker", "start", name]):
        return True
    environment = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    return run(["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:{port}", *environment, image])


@dataclass(frozen=True)
class Dependency:
    name: str
    host: str
    port: int
    ready: Callable[[], bool]
    start_installed: Callable[[], bool]  # False when not installed here
    start_container: Callable[[], bool]
    install_hint: str
    startup_timeout_s: float
    # Installs it from the distribution's packages; False when nothing can be installed here.
    install: Callable[[], bool] = lambda: False


def _start_installed_postgres() -> bool:
    if shutil.which("pg_ctlcluster") is None or not POSTGRES_CONFIG.is_dir():
        return False
    versions = sorted(p.name for p in POSTGRES_CONFIG.iterdir() if (p / "main").is_dir())
    if not versions:
        return False
    return run(
        as_root_if_possible(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"])
    )


def _start_installed_rabbitmq() -> bool:
    if shutil.which("rabbitmq-server") is None:
        return False
    return run(as_root_if_possible(["rabbitmq-server", "-detached"]))


TRUST_LOCAL_POSTGRES = "host all postgres 127.0.0.1/32 trust"


def _install_postgres() -> bool:
    """The package, then the login the services use (postgres from 127.0.0.1, no password)."""
    machine = Machine.detect()
    if not install_from_packages("PostgreSQL", ("postgresql",), machine) or machine.as_root is None:
        return False
    for hba in sorted(POSTGRES_CONFIG.glob("*/main/pg_hba.conf")):
        say(f"allowing the local login of the services in {hba}: {TRUST_LOCAL_POSTGRES}")
        script = f"grep -qxF '{TRUST_LOCAL_POSTGRES}' {hba} || sed -i '1i {TRUST_LOCAL_POSTGRES}' {hba}"
        if not run([*machine.as_root, "sh", "-c", script]):
            return False
    # The package may have started the server already: make it read the new line.
    reload = (
        "for v in $(ls /etc/postgresql); do "
        "pg_ctlcluster --skip-systemctl-redirect $v main reload || true; done"
    )
    run([*machine.as_root, "sh", "-c", reload])
    return True


def _install_rabbitmq() -> bool:
    return install_from_packages("RabbitMQ", ("rabbitmq-server",))


POSTGRES = Dependency(
    name="PostgreSQL",
    host=PG_HOST,
    port=PG_PORT,
    ready=postgres_accepts,
    start_installed=_start_installed_postgres,
    start_container=lambda: docker_container(
        "parking-postgres", "postgres:16-alpine", PG_PORT, {"POSTGRES_HOST_AUTH_METHOD": "trust"}
    ),
    install_hint=POSTGRES_HINT,
    startup_timeout_s=30,
    install=_install_postgres,
)
RABBITMQ = Dependency(
    name="RabbitMQ",
    host=AMQP_HOST,
    port=AMQP_PORT,
    ready=lambda: answers(AMQP_HOST, AMQP_PORT),
    start_installed=_start_installed_rabbitmq,
    start_container=lambda: docker_container("parking-rabbitmq", "rabbitmq:3.13-alpine", AMQP_PORT, {}),
    install_hint="  sudo apt-get install -y rabbitmq-server   # listens on 5672, user guest/guest",
    startup_timeout_s=60,
    install=_install_rabbitmq,
)


def ensure(dep: Dependency) -> None:
    where = f"{dep.host}:{dep.port}"
    if dep.ready():
        say(f"{dep.name} answers on {where}")
        return
    if answers(dep.host, dep.port):
        # The port is open but the server is not ready yet (or refuses us): wait for it.
        if wait_until(dep.ready, dep.startup_timeout_s):
            say(f"{dep.name} answers on {where}")
            return
        raise PrepareError(
            f"{dep.name} listens on {where} but does not accept the connection. Expected:\n"
            + dep.install_hint
        )
    say(f"{dep.name} does not answer on {where}: starting it")
    if dep.start_installed():
        how = "installed server"
    elif docker_answers() and dep.start_container():
        how = "Docker container"
    elif dep.install() and (answers(dep.host, dep.port) or dep.start_installed()):
        how = "installed from the distribution's packages"
    else:
        raise PrepareError(
            f"{dep.name} is not running on {where}, is not installed on this machine, no "
            f"Docker engine answers, and it could not be installed from the distribution's "
            f"packages (that needs apt-get, and root or passwordless sudo). Install it:\n{dep.install_hint}"
        )
    if not wait_until(dep.ready, dep.startup_timeout_s):
        raise PrepareError(
            f"{dep.name} ({how}) did not answer on {where} within {dep.startup_timeout_s:.0f} s"
        )
    say(f"{dep.name} started ({how}), answers on {where}")


def ensure_infra() -> None:
    for dep in (POSTGRES, RABBITMQ):
        ensure(dep)


def service_cli(service: Service) -> ServiceCli:
    return importlib.import_module(f"{service.package}.__main__").cli


async def prepare_database(service: Service, settings: ServiceSettings) -> None:
    """What `python -m <service> migrate` then `seed` do (kit.cli), in this process: one
    interpreter for every service instead of two per service (seconds instead of tens)."""
    from kit.db import ensure_database
    from kit.migrations import upgrade

    await ensure_database(settings.database_url)
    # Alembic's env runs its own event loop and keeps global state: one at a time, in a thread.
    await asyncio.to_thread(upgrade, service.package, settings.database_url)
    seed = service_cli(service).seed
    if seed is not None:
        await seed(settings)


async def migrate_and_seed() -> None:
    started = time.monotonic()
    clis = {service.name: service_cli(service) for service in SERVICES}
    say(f"services loaded ({time.monotonic() - started:.1f} s)")
    for service in SERVICES:
        started = time.monotonic()
        try:
            await prepare_database(service, clis[service.name].settings_factory())
        except Exception as exc:
            traceback.print_exc()
            raise PrepareError(f"{service.package}: migrate or seed failed: {exc!r}") from exc
        say(f"{service.package}: migrated and seeded ({time.monotonic() - started:.1f} s)")


def readiness_urls(gateway_url: str) -> dict[str, list[str]]:
    """What must answer 200 before a person can use a local run: each process on its own port
    first (so that waiting does not fill the gateway's access log with 502s), then through the
    gateway."""
    local = "http://127.0.0.1"
    urls = {
        "gateway": [f"{gateway_url}/ping"],
        "portal": [f"{local}:{PORTAL_PORT}/health/live", f"{gateway_url}/health/live"],
        "devmail": [f"{local}:{DEVMAIL_PORT}/health/live", f"{gateway_url}/dev/mail/health/live"],
    }
    for s in SERVICES:
        path = f"{s.prefix}/health/ready"
        urls[s.name] = [f"{local}:{s.port}{path}", f"{gateway_url}{path}"]
    return urls


def announce(gateway_url: str, timeout_s: float = 120.0) -> None:
    """Wait until everything answers, print where to go, then idle (honcho stops every process
    when one of them exits)."""
    import httpx

    started = time.monotonic()
    pending = readiness_urls(gateway_url)
    with httpx.Client(timeout=2.0) as client:
        while pending and time.monotonic() - started < timeout_s:
            for name, urls in list(pending.items()):
                try:
                    while urls and client.get(urls[0]).status_code == 200:
                        urls.pop(0)
                except httpx.HTTPError:
                    pass
                if not urls:
                    del pending[name]
            if pending:
                time.sleep(0.25)
    if pending:
        say(f"not ready after {timeout_s:.0f} s: {', '.join(sorted(pending))} (see their logs)")
    else:
        elapsed = time.monotonic() - started
        say(f"everything answers through the gateway, {elapsed:.1f} s after start")
    say(f"portal:        {gateway_url}/")
    say(f"mail catcher:  {gateway_url}/dev/mail/")
    say(f"API (OpenAPI): {gateway_url}/api/<service>/openapi.json")
    say("press Ctrl-C to stop everything")
    while True:
        time.sleep(3600)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.stack")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("infra", help="make sure PostgreSQL and RabbitMQ answer on localhost")
    commands.add_parser("prepare", help="infra, then migrate and seed every service")
    commands.add_parser("announce", help="wait for the local run, print its URLs, then idle")
    args = parser.parse_args(argv)
    if args.command == "announce":
        port = os.environ.get("GATEWAY_PORT", str(GATEWAY_PORT))
        announce(f"http://127.0.0.1:{port}")
        return
    started = time.monotonic()
    try:
        ensure_infra()
        if args.command == "prepare":
            asyncio.run(migrate_and_seed())
    except PrepareError as exc:
        print(f"stack: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    say(f"ready in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
