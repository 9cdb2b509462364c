"""The fast lane (`make test-fast`): kit.testing.plugin marks ``io`` every test whose fixtures
reach a database, the broker, the network or a browser, and ``--io-guard`` fails a test left
unmarked that opens a network socket anyway. Each case runs pytest on a folder of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kit.testing.plugin import IO_FIXTURES

# Stand-ins for the I/O fixtures, so that what is checked here is the marking, not a server.
CONFTEST = """
import pytest

@pytest.fixture
def infra():
    return "postgres and rabbitmq"

@pytest.fixture
def make_database(infra):
    return infra

@pytest.fixture
def browser():
    return "chromium"

@pytest.fixture
def page(browser):
    return browser

@pytest.fixture
def clock():
    return "no I/O"
"""

TESTS = """
import socket
import pytest

def test_pure():
    assert 1 + 1 == 2

def test_pure_fixture(clock, tmp_path):
    assert clock

def test_database(make_database):
    assert make_database

def test_infra_directly(infra):
    assert infra

def test_browser(page):
    assert page

@pytest.mark.io
def test_marked_by_hand():
    pass
"""


def run_pytest(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A directory outside the repository: only the plugin under test applies.
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "kit.testing.plugin", "-p", "no:cacheprovider", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )


def collected(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.split("::")[-1] for line in result.stdout.splitlines() if "::" in line}


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_lane.py").write_text(TESTS)
    return tmp_path


def test_the_fast_lane_keeps_only_tests_without_io_fixtures(suite: Path) -> None:
    fast = run_pytest(suite, "--collect-only", "-q", "-m", "not io")
    slow = run_pytest(suite, "--collect-only", "-q", "-m", "io")

    assert collected(fast) == {"test_pure", "test_pure_fixture"}, fast.stdout + fast.stderr
    # Through another fixture (make_database → infra, page → browser) as well as directly.
    assert collected(slow) == {
        "test_database",
        "test_infra_directly",
        "test_browser",
        "test_marked_by_hand",
    }, slow.stdout + slow.stderr


def test_the_io_guard_fails_an_unmarked_test_that_opens_a_socket(tmp_path: Path) -> None:
    (tmp_path / "test_sneaky.py").write_text(
        "import socket\n\n"
        "def test_sneaky():\n"
        "    with socket.socket() as s:\n"
        "        s.bind(('127.0.0.1', 0))\n"
    )

    guarded = run_pytest(tmp_path, "--io-guard")
    unguarded = run_pytest(tmp_path)

    assert guarded.returncode == pytest.ExitCode.TESTS_FAILED, guarded.stdout
    assert "opened a network connection" in guarded.stdout
    assert "IO_FIXTURES" in guarded.stdout
    assert unguarded.returncode == pytest.ExitCode.OK, unguarded.stdout


def test_the_io_guard_lets_marked_tests_and_the_event_loop_through(tmp_path: Path) -> None:
    (tmp_path / "test_allowed.py").write_text(
        "import asyncio\nimport socket\nimport pytest\n\n"
        "@pytest.mark.io\n"
        "def test_marked():\n"
        "    with socket.socket() as s:\n"
        "        s.bind(('127.0.0.1', 0))\n\n"
        "def test_event_loop():\n"  # the loop's self-pipe is a Unix socket pair
        "    assert asyncio.run(asyncio.sleep(0, result=1)) == 1\n"
    )

    result = run_pytest(tmp_path, "--io-guard")

    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr


def test_the_kits_own_io_fixtures_are_listed() -> None:
    # Every kit fixture that reaches PostgreSQL or RabbitMQ does so through ``infra``.
    assert {"infra", "browser"} <= IO_FIXTURES
