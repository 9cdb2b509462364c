"""A handler's inbox key is the name it is registered with, not its Python location."""

from __future__ import annotations

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope
from contracts.events import UserRegistered
from kit.consumer import DuplicateHandlerName, EventHandlers
from kit.testing.pipeline import record_effect


async def test_a_handler_moved_or_renamed_does_not_apply_a_redelivered_event_again(make_pipeline) -> None:  # noqa: ANN001
    handlers = EventHandlers()
    handlers.add(UserRegistered, "effects.record", record_effect)
    pipeline = await make_pipeline(handlers)
    await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))
    [user_id] = await pipeline.commit_events(1)
    await pipeline.wait_for_effects(1)
    await pipeline.wait_until_settled()
    envelope = await pipeline.last_sent_envelope()
    for consumer in pipeline.consumers:
        await consumer.stop()

    # A new release: the function now lives elsewhere under another Python name.
    async def renamed_elsewhere(session: AsyncSession, event: UserRegistered, env: Envelope) -> None:
        await record_effect(session, event, env)

    moved = EventHandlers()
    moved.add(UserRegistered, "effects.record", renamed_elsewhere)
    pipeline.handlers = moved
    await pipeline.start_consumer()
    await pipeline.redeliver(envelope)
    await pipeline.wait_until_settled()

    assert await pipeline.effect_counts() == {user_id: 1}


def test_two_handlers_with_one_name_fail_when_the_handlers_are_built() -> None:
    handlers = EventHandlers()
    handlers.add(UserRegistered, "effects.record", record_effect)

    async def another(session: AsyncSession, event: UserRegistered, env: Envelope) -> None:
        return None

    with pytest.raises(DuplicateHandlerName):
        handlers.add(UserRegistered, "effects.record", another)


def test_a_handler_needs_a_name() -> None:
    with pytest.raises(TypeError):
        EventHandlers().on(UserRegistered)(record_effect)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        EventHandlers().add(UserRegistered, "", record_effect)
