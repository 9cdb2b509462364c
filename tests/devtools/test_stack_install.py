"""`python -m devtools.stack` on a fresh Debian or Ubuntu machine: PostgreSQL and RabbitMQ are
installed from the distribution's packages when this machine allows it (root, or sudo without
a password), and only otherwise does it print what to install. No real apt-get here."""

from __future__ import annotations

import dataclasses

import pytest

from devtools import stack
from devtools.stack import Dependency, Machine, PrepareError, ensure, install_commands

ROOT = Machine(is_root=True, passwordless_sudo=False, has_apt=True)
SUDOER = Machine(is_root=False, passwordless_sudo=True, has_apt=True)
USER = Machine(is_root=False, passwordless_sudo=False, has_apt=True)
NO_APT = Machine(is_root=True, passwordless_sudo=False, has_apt=False)


def test_root_installs_with_apt_get_without_prompting() -> None:
    assert install_commands(("postgresql",), ROOT) == [
        ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update", "-q"],
        [
            "env",
            "DEBIAN_FRONTEND=noninteractive",
            "apt-get",
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "postgresql",
        ],
    ]


def test_a_user_with_passwordless_sudo_installs_through_sudo() -> None:
    commands = install_commands(("rabbitmq-server",), SUDOER)
    assert commands is not None
    assert all(command[:2] == ["sudo", "-n"] for command in commands)
    assert commands[-1][-1] == "rabbitmq-server"


@pytest.mark.parametrize("machine", [USER, NO_APT], ids=["no-root-no-sudo", "no-apt-get"])
def test_nothing_is_installed_where_it_cannot_be(machine: Machine) -> None:
    assert install_commands(("postgresql",), machine) is None
    assert stack.install_from_packages("PostgreSQL", ("postgresql",), machine) is False


def fresh_machine_dependency(*, installable: bool, events: list[str]) -> Dependency:
    """Not running, not installed, until installed (if it can be): then it starts and answers."""
    installed = False

    def install() -> bool:
        nonlocal installed
        events.append("install")
        installed = installable
        return installable

    def start_installed() -> bool:
        if installed:
            events.append("start")
        return installed

    return Dependency(
        name="Broker",
        host="127.0.0.1",
        port=1,  # nothing listens there
        ready=lambda: "start" in events,
        start_installed=start_installed,
        start_container=lambda: events.append("container") is None,
        install_hint="  apt-get install -y broker",
        startup_timeout_s=2,
        install=install,
    )


# Probes a local port: not in the fast lane.
@pytest.mark.io
def test_a_fresh_machine_without_docker_installs_then_starts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "docker_answers", lambda: False)
    events: list[str] = []

    ensure(fresh_machine_dependency(installable=True, events=events))

    assert events == ["install", "start"]


# Probes a local port: not in the fast lane.
@pytest.mark.io
def test_a_docker_engine_is_preferred_to_installing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "docker_answers", lambda: True)
    events: list[str] = []
    dependency = fresh_machine_dependency(installable=True, events=events)

    ensure(dataclasses.replace(dependency, ready=lambda: "container" in events))

    assert events == ["container"]


# Probes a local port: not in the fast lane.
@pytest.mark.io
def test_where_nothing_can_be_installed_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "docker_answers", lambda: False)
    events: list[str] = []

    with pytest.raises(PrepareError, match="apt-get install -y broker"):
        ensure(fresh_machine_dependency(installable=False, events=events))

    assert events == ["install"]


def test_the_real_dependencies_install_their_debian_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(stack, "run", lambda command, timeout_s=120: ran.append(command) is None)
    monkeypatch.setattr(stack.Machine, "detect", classmethod(lambda cls: SUDOER))
    monkeypatch.setattr(stack, "POSTGRES_CONFIG", stack.Path("/nonexistent"))

    assert stack.RABBITMQ.install() and stack.POSTGRES.install()

    installs = [command[-1] for command in ran if "install" in command]
    assert installs == ["rabbitmq-server", "postgresql"]
    assert all(command[:2] == ["sudo", "-n"] for command in ran)
