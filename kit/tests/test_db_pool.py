"""A service's connections to PostgreSQL are bounded by DB_POOL_SIZE: what the deployment's
connection budget (deploy/k8s, postgres.yaml) and the test runs on one server count on."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text

from kit.db import Database, asyncpg_dsn
from kit.settings import ServiceSettings


async def test_a_busy_service_opens_twice_its_pool_size_and_keeps_its_pool_size(make_database) -> None:  # noqa: ANN001
    url = await make_database("pool")
    db = Database.of(ServiceSettings(environment="test", database_url=url, db_pool_size=2))
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(asyncpg_dsn(url))

    async def connections() -> int:
        return await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name
        )

    async def busy() -> None:
        async with db.session() as session:
            await session.exec(text("SELECT pg_sleep(0.3)"))

    try:
        work = asyncio.gather(*(busy() for _ in range(10)))
        await asyncio.sleep(0.15)
        during = await connections()
        await work
        after = await connections()
    finally:
        await db.dispose()
        await admin.close()
    assert during == 4  # pool_size + max_overflow: the other six requests wait their turn
    assert after == 2  # the overflow closes once returned
