"""One owner per transaction: an HTTP request commits once when its use case succeeded and
rolls back otherwise; an event's handler effects commit with its inbox row, so a use case that
fails half-way on its first delivery is applied exactly once and completely on the retry."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter
from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope
from contracts.events import UserRegistered
from kit.app import create_service_app
from kit.consumer import EventHandlers
from kit.db import Database, kit_metadata
from kit.deps import UnitOfWorkDep
from kit.errors import Conflict, FieldError, Invalid
from kit.runtime import ServiceRuntime
from kit.settings import ServiceSettings
from kit.testing.pipeline import create_tables, effects
from kit.uow import unique_refusals, unit_of_work

notes_metadata = MetaData()
notes = Table(
    "notes",
    notes_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", String(100), nullable=False),
    UniqueConstraint("text", name="uq_notes_text"),
)
# Checked only at commit: shows that the commit happens before the client gets its answer.
late_notes = Table(
    "late_notes",
    notes_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", String(100), nullable=False),
    UniqueConstraint("text", name="uq_late_notes_text", deferrable=True, initially="DEFERRED"),
)


async def add_note(session: AsyncSession, text: str) -> None:
    """A use case: it writes and flushes, it never commits."""
    async with unique_refusals(
        session, {"uq_notes_text": lambda: Conflict("note_exists", "Nota già presente.")}
    ):
        await session.exec(notes.insert().values(text=text))


router = APIRouter()


@router.post("/notes/{text}", status_code=201)
async def create_note(text: str, session: UnitOfWorkDep) -> dict[str, str]:
    await add_note(session, text)
    return {"text": text}


@router.post("/notes/{text}/then-refuse", status_code=201)
async def create_then_refuse(text: str, session: UnitOfWorkDep) -> None:
    await add_note(session, text)
    raise Invalid([FieldError("text", "bad", "Non va bene.")])


@router.post("/notes/{text}/then-refuse-keeping", status_code=201)
async def create_then_refuse_keeping(text: str, session: UnitOfWorkDep) -> None:
    await add_note(session, text)
    raise Invalid([FieldError("text", "bad", "Tentativo registrato.")], keep_changes=True)


@router.post("/notes/{text}/then-crash", status_code=201)
async def create_then_crash(text: str, session: UnitOfWorkDep) -> None:
    await add_note(session, text)
    raise RuntimeError("bug after the write")


@router.post("/late-notes/{text}", status_code=201)
async def create_late_note(text: str, session: UnitOfWorkDep) -> dict[str, str]:
    await session.exec(late_notes.insert().values(text=text))
    return {"text": text}


@pytest.fixture
async def service(make_database, service_env) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:  # noqa: ANN001
    url = await make_database("uow")
    await create_tables(url, kit_metadata, notes_metadata)
    settings = ServiceSettings(
        service_name="uow",
        api_prefix="/api/uow",
        database_url=url,
        **{**service_env, "run_consumer": "false", "run_relay": "false"},
    )
    app = create_service_app(
        ServiceRuntime.from_settings(settings), title="t", description="d", routers=[router]
    )
    async with LifespanManager(app) as manager:
        # raise_app_exceptions=False: see the answer a real client would get.
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, app.state.db


async def stored(db: Database, table: Table = notes) -> list[str]:
    async with db.session() as session:
        return list((await session.exec(select(table.c.text).order_by(table.c.id))).scalars())


async def test_a_successful_request_is_committed_before_its_answer(service) -> None:  # noqa: ANN001
    client, db = service
    response = await client.post("/api/uow/notes/uno")
    assert response.status_code == 201
    assert await stored(db) == ["uno"]


async def test_a_request_refused_after_a_write_leaves_nothing(service) -> None:  # noqa: ANN001
    client, db = service
    response = await client.post("/api/uow/notes/due/then-refuse")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "text", "code": "bad", "message": "Non va bene."}]
    assert await stored(db) == []


async def test_a_request_failing_unexpectedly_after_a_write_leaves_nothing(service) -> None:  # noqa: ANN001
    client, db = service
    response = await client.post("/api/uow/notes/tre/then-crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert await stored(db) == []


async def test_a_refusal_that_keeps_its_changes_commits_them(service) -> None:  # noqa: ANN001
    client, db = service
    response = await client.post("/api/uow/notes/quattro/then-refuse-keeping")
    assert response.status_code == 422
    assert await stored(db) == ["quattro"]


async def test_a_unique_index_refusal_becomes_the_named_conflict(service) -> None:  # noqa: ANN001
    client, db = service
    assert (await client.post("/api/uow/notes/cinque")).status_code == 201
    response = await client.post("/api/uow/notes/cinque")
    assert response.status_code == 409
    assert response.json()["code"] == "note_exists"
    assert await stored(db) == ["cinque"]


async def test_a_commit_that_fails_is_never_answered_as_a_success(service) -> None:  # noqa: ANN001
    client, db = service
    assert (await client.post("/api/uow/late-notes/sei")).status_code == 201
    # The duplicate passes the flush (deferred constraint) and fails at commit: had the commit
    # run after the answer, the client would have seen 201 for a note that does not exist.
    response = await client.post("/api/uow/late-notes/sei")
    assert response.status_code >= 400
    assert await stored(db, late_notes) == ["sei"]


async def test_unit_of_work_rolls_back_a_block_that_raises(make_database) -> None:  # noqa: ANN001
    url = await make_database("uowblock")
    await create_tables(url, notes_metadata)
    db = Database(url)
    with pytest.raises(RuntimeError):
        async with unit_of_work(db) as session:
            await add_note(session, "sette")
            raise RuntimeError("boom")
    async with unit_of_work(db) as session:
        await add_note(session, "otto")
    assert await stored(db) == ["otto"]
    await db.dispose()


# --- events: the consumer owns the handler's transaction ---------------------------------------


async def welcome_member(session: AsyncSession, user_id: uuid.UUID, email: str, *, fail: bool) -> None:
    """A use case with two writes; it fails between them when told to."""
    await session.exec(effects.insert().values(user_id=user_id, email=email))
    await session.flush()
    if fail:
        raise RuntimeError("transient failure half-way")
    await session.exec(effects.insert().values(user_id=user_id, email=f"welcome:{email}"))


async def test_a_use_case_failing_half_way_on_its_first_delivery_is_applied_once_and_whole(
    make_pipeline,
) -> None:  # noqa: ANN001
    failed: set[uuid.UUID] = set()

    async def on_registered(session: AsyncSession, event: UserRegistered, _: Envelope) -> None:
        first = event.user_id not in failed
        failed.add(event.user_id)
        await welcome_member(session, event.user_id, event.email, fail=first)

    handlers = EventHandlers()
    handlers.add(UserRegistered, "members.welcome", on_registered)
    pipeline = await make_pipeline(handlers)
    await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))
    ids = await pipeline.commit_events(3)

    await pipeline.wait_for_effects(6)
    await pipeline.wait_until_settled()
    assert failed == set(ids)
    # Both writes of every use case, each exactly once.
    assert await pipeline.effect_counts() == {i: 2 for i in ids}


async def test_the_trail_keeps_the_order_of_writing_for_decisions_of_one_moment(make_database) -> None:  # noqa: ANN001
    """Decisions of one transaction share their time: ordered by the random id they came out
    in any order (seen in CI: a payment's "paid" after the revocation it caused)."""
    from datetime import UTC, datetime

    from kit.audit import audit_table, record_decision, trail_of
    from kit.auth import Principal

    metadata = MetaData()
    table = audit_table(metadata)
    url = await make_database("audit")
    await create_tables(url, metadata)
    db = Database(url, pool_size=1)
    subject = uuid.uuid4()
    actor = Principal(uuid.uuid4(), "operator", "operatore@example.it")  # type: ignore[arg-type]
    at = datetime.now(UTC)
    actions = [f"step_{n:02d}" for n in range(30)]
    try:
        async with unit_of_work(db) as session:
            for action in actions:
                await record_decision(
                    session, table, subject_type="t", subject_id=subject, action=action, actor=actor, at=at
                )
        async with db.session() as session:
            assert [entry.action for entry in await trail_of(session, table, subject)] == actions
    finally:
        await db.dispose()
