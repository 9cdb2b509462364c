"""The whole platform started for the end-to-end tests, as real processes behind the real
gateway, isolated from any other run (see devtools.teststack); the browser tests' base URL and
the operator, logged in to the console in a browser context of their own.

A module that needs other settings overrides ``stack`` with a module-scoped fixture of its own
(``async with make_stack({...}) as running: yield running``): ``gateway``, ``mailbox``,
``browser_base_url``, ``operator_email`` and ``operator`` then use that stack."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from devtools.mailbox import Mailbox
from devtools.teststack import Stack, running_stack
from kit.testing.browser import DEFAULT_TIMEOUT_MS, artifacts_dir
from tests.e2e.journeys import PASSWORD, create_operator, log_in

StackOverrides = Mapping[str, Mapping[str, str]]
MakeStack = Callable[..., AbstractAsyncContextManager[Stack]]

_stacks: pytest.StashKey[list[Stack]] = pytest.StashKey()


@pytest.fixture(scope="session")
def stack_overrides() -> StackOverrides:
    """Extra environment for the shared ``stack``, by process name or "all". Override this
    fixture (session scope) in a conftest to change the settings of the shared stack.

    Every browser of the suite registers from 127.0.0.1: identity's cap on registrations per
    client address (20 an hour, tested in identity's own suite) is raised for the shared stack."""
    return {"identity": {"REGISTRATION_MAX_STARTS_PER_ADDRESS": "1000"}}


@pytest.fixture(scope="session")
async def make_stack(
    request: pytest.FixtureRequest,
    pg_admin_url: str,
    amqp_url: str,
    run_id: str,
    exchange_name: str,
    service_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[MakeStack]:
    """``async with make_stack(overrides={"identity": {...}}) as other:`` a further stack with
    its own settings, ports, databases and broker names (the first one uses the run's
    exchange)."""
    counter = itertools.count()
    started: list[Stack] = request.config.stash.setdefault(_stacks, [])

    @contextlib.asynccontextmanager
    async def make(overrides: StackOverrides | None = None) -> AsyncIterator[Stack]:
        n = next(counter)
        work_dir: Path = tmp_path_factory.mktemp(f"stack{n}")
        async with running_stack(
            pg_admin_url=pg_admin_url,
            amqp_url=amqp_url,
            exchange=exchange_name if n == 0 else f"{exchange_name}.{n}",
            queue_prefix=f"test.{run_id}.s{n}.",
            database_prefix=f"test_{run_id}_e2e{n}",
            work_dir=work_dir,
            base_env=service_env,
            overrides=overrides,
        ) as stack:
            started.append(stack)
            print(
                f"\nstack {n} ready in {stack.startup_s:.1f} s (databases ready after "
                f"{stack.timings['databases']:.1f} s) at {stack.url}, logs in {work_dir}"
            )
            try:
                yield stack
            finally:
                started.remove(stack)

    yield make


@pytest.fixture(scope="session")
async def stack(make_stack: MakeStack, stack_overrides: StackOverrides) -> AsyncIterator[Stack]:
    async with make_stack(stack_overrides) as running:
        yield running


@pytest.fixture
async def gateway(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the gateway, as a browser or an API client sees the platform."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=10.0) as client:
        yield client


@pytest.fixture
async def mailbox(stack: Stack) -> AsyncIterator[Mailbox]:
    """``await mailbox.wait_for_message(to=..., subject_contains=...)``"""
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield Mailbox(client, stack.mail_url)


@pytest.fixture
def browser_base_url(stack: Stack) -> str:
    return stack.url


@pytest.fixture(scope="module")
async def operator_email(stack: Stack) -> str:
    """An operator account, as `make create-operator` makes it, on the module's stack."""
    email = f"operatore.{uuid.uuid4().hex[:8]}@comune.caserta.it"
    await asyncio.to_thread(create_operator, stack, email, PASSWORD)
    return email


@pytest.fixture
async def operator(
    browser: Browser,
    browser_context_options: dict,
    operator_email: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Page]:
    """The operator, logged in to the console in a browser context of their own, beside the
    citizen's ``page``; on failure its page is saved next to the citizen's."""
    context = await browser.new_context(**browser_context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    failed_before = request.session.testsfailed
    try:
        page = await context.new_page()
        await log_in(page, operator_email)
        await expect(page).to_have_url(re.compile(r"/operatore$"))
        yield page
        if request.session.testsfailed > failed_before and not page.is_closed():
            directory = artifacts_dir(request.config)
            directory.mkdir(parents=True, exist_ok=True)
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-140:] + ".operatore"
            await page.screenshot(path=str(directory / f"{stem}.png"), full_page=True)
            (directory / f"{stem}.html").write_text(await page.content(), encoding="utf-8")
    finally:
        await context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    report = yield
    if report.failed:
        for stack in item.config.stash.get(_stacks, []):
            for name, text in stack.logs(lines=80).items():
                report.sections.append((f"stack log: {name} ({stack.url})", text))
            if stack.failed_processes():
                report.sections.append(("stack: exited processes", str(stack.failed_processes())))
    return report
