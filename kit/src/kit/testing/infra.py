"""Where tests find PostgreSQL and RabbitMQ.

Order: the environment (TEST_PG_URL, TEST_AMQP_URL); else the local servers when they answer;
else, when a Docker engine answers, containers started with testcontainers.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


@dataclass(frozen=True)
class Infra:
    pg_admin_url: str  # libpq URL of a database the tests may create databases from
    amqp_url: str


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1.0):
            return True
    except OSError:
        return False


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def provide_infra() -> Iterator[Infra]:
    pg = os.environ.get("TEST_PG_URL") or (LOCAL_PG if _answers(LOCAL_PG) else None)
    amqp = os.environ.get("TEST_AMQP_URL") or (LOCAL_AMQP if _answers(LOCAL_AMQP) else None)
    if pg and amqp:
        yield Infra(pg, amqp)
        return
    if not _docker_answers():
        missing = [n for n, v in (("PostgreSQL", pg), ("RabbitMQ", amqp)) if not v]
        raise RuntimeError(
            f"{' e '.join(missing)} non raggiungibili: avviali in locale, imposta TEST_PG_URL / "
            "TEST_AMQP_URL, oppure avvia un motore Docker per testcontainers."
        )
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    with contextlib.ExitStack() as stack:
        if not pg:
            container = stack.enter_context(PostgresContainer("postgres:16-alpine", driver=None))
            pg = container.get_connection_url()
        if not amqp:
            rabbit = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-alpine"))
            amqp = f"amqp://guest:guest@{rabbit.get_container_host_ip()}:{rabbit.get_exposed_port(5672)}/"
        yield Infra(pg, amqp)
