"""deploy/postgres/init-databases.sh against a real, scratch PostgreSQL cluster (initdb in a
temporary directory, password logins over TCP as in the Compose stack): each service's role
logs in with its own password to its own database, and to no other."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "init-databases.sh"
PASSWORDS = {"alpha": "alpha-Zq8-0123456789", "beta": "beta-Zq8-0123456789"}


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL server binaries (initdb) are not installed")
    return found[-1].parent


def as_postgres(command: list[str]) -> list[str]:
    """initdb refuses root: run the scratch cluster as the system user postgres."""
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser") is None:
        pytest.skip("running as root without runuser")
    return ["runuser", "-u", "postgres", "--", *command]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, int]]:
    bin_dir = postgres_bin()
    # Not under pytest's temporary root, which the postgres user may not traverse.
    root = Path(tempfile.mkdtemp(prefix="parking-pg-init-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run(
        as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
                     "--auth-host=scram-sha-256", "--no-sync"]),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    # The server's output goes to its log file: a pipe would stay open as long as it runs.
    log = root / "server.log"
    subprocess.run(
        as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"]),
        check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    try:
        yield str(sockets), port
    finally:
        subprocess.run(
            as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def run_script(cluster: tuple[str, int], **env: str) -> subprocess.CompletedProcess[str]:
    sockets, port = cluster
    environment = {"PATH": os.environ["PATH"], "PGHOST": sockets, "PGPORT": str(port), **env}
    return subprocess.run(["sh", str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=120)


async def login(port: int, user: str, password: str, database: str) -> None:
    connection = await asyncpg.connect(
        host="127.0.0.1", port=port, user=user, password=password, database=database, timeout=10
    )
    await connection.close()


@pytest.fixture(scope="module")
def initialised(cluster: tuple[str, int]) -> int:
    passwords = {f"{name.upper()}_DB_PASSWORD": value for name, value in PASSWORDS.items()}
    result = run_script(cluster, PARKING_SERVICES="alpha beta", **passwords)
    assert result.returncode == 0, result.stderr
    again = run_script(cluster, PARKING_SERVICES="alpha beta", **passwords)  # idempotent
    assert again.returncode == 0, again.stderr
    return cluster[1]


def test_each_role_logs_in_to_its_own_database_with_its_own_password(initialised: int) -> None:
    for name, password in PASSWORDS.items():
        asyncio.run(login(initialised, name, password, f"parking_{name}"))


@pytest.mark.parametrize(
    ("user", "password", "database", "refusal"),
    [
        ("alpha", PASSWORDS["alpha"], "parking_beta", asyncpg.InsufficientPrivilegeError),
        ("beta", PASSWORDS["beta"], "parking_alpha", asyncpg.InsufficientPrivilegeError),
        ("alpha", PASSWORDS["alpha"], "postgres", asyncpg.InsufficientPrivilegeError),
        ("alpha", PASSWORDS["beta"], "parking_alpha", asyncpg.InvalidPasswordError),
    ],
    ids=["alpha-into-beta", "beta-into-alpha", "alpha-into-postgres", "alpha-with-beta-password"],
)
def test_a_role_reaches_no_other_database(
    initialised: int, user: str, password: str, database: str, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        asyncio.run(login(initialised, user, password, database))


def test_the_script_refuses_a_service_without_its_password(cluster: tuple[str, int]) -> None:
    result = run_script(cluster, PARKING_SERVICES="gamma")
    assert result.returncode != 0
    assert "GAMMA_DB_PASSWORD must be set" in result.stderr
