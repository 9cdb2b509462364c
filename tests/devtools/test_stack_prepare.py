"""`python -m devtools.stack`: use what answers, start what is installed, say what is missing."""

from __future__ import annotations

import pytest

from devtools import stack
from devtools.stack import Dependency, PrepareError, ensure


def dependency(*, ready: list[bool], installed: bool, started: list[str]) -> Dependency:
    answers = iter(ready)

    def start_installed() -> bool:
        if installed:
            started.append("installed")
        return installed

    def start_container() -> bool:
        started.append("container")
        return True

    return Dependency(
        name="Broker",
        host="127.0.0.1",
        port=1,  # nothing listens there
        ready=lambda: next(answers, True),
        start_installed=start_installed,
        start_container=start_container,
        install_hint="  apt-get install -y broker",
        startup_timeout_s=2,
    )


def test_a_dependency_that_answers_is_left_alone() -> None:
    started: list[str] = []

    ensure(dependency(ready=[True], installed=True, started=started))

    assert started == []


# Probes a local port: not in the fast lane.
@pytest.mark.io
def test_an_installed_dependency_is_started_and_awaited() -> None:
    started: list[str] = []

    ensure(dependency(ready=[False, False, True], installed=True, started=started))

    assert started == ["installed"]


# Probes a local port: not in the fast lane.
@pytest.mark.io
def test_without_installation_a_docker_engine_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    monkeypatch.setattr(stack, "docker_answers", lambda: True)

    ensure(dependency(ready=[False, True], installed=False, started=started))

    assert started == ["container"]


# Probes a local port: not in the fast lane.
@pytest.mark.io
def test_without_installation_nor_docker_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "docker_answers", lambda: False)

    with pytest.raises(PrepareError, match="apt-get install -y broker"):
        ensure(dependency(ready=[False], installed=False, started=[]))


# Probes a local port: not in the fast lane.
@pytest.mark.io
def test_a_dependency_that_never_comes_up_is_an_error() -> None:
    with pytest.raises(PrepareError, match="did not answer"):
        ensure(dependency(ready=[False] * 1000, installed=True, started=[]))
