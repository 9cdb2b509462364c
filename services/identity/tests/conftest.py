"""The identity service under test: a real migrated database, the real broker, the app run
in-process. Helpers come as fixtures (tests import nothing from here)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from codicefiscale import codicefiscale
from fastapi import FastAPI
from sqlalchemy import select

from identity.main import create_app
from identity.runtime import Runtime
from identity.service.accounts import create_staff
from identity.settings import Settings
from kit.db import Database, outbox_table
from kit.testing.services import running_service
from kit.uow import unit_of_work

PREFIX = "/api/identity"
PASSWORD = "Volturno-2026"
# Cheap argon2id parameters (same algorithm): the suite hashes hundreds of passwords.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_cost": 1024, "argon2_parallelism": 1}

_counter = itertools.count(1)
_LAST_NAMES = ["Esposito", "Russo", "De Luca", "Romano", "Gallo", "D'Angelo", "Marino", "Greco"]
_FIRST_NAMES = ["Giuseppe", "Anna", "Maria Grazia", "Antonio", "Lucia", "Vincenzo", "Carmela", "Pasquale"]


# Events whose published version moved on (identity v2 carries the personal details).
BY_TYPE_VERSION = {"identity.user.registered": 2, "identity.user.profile_changed": 2}


@dataclass(frozen=True)
class Person:
    email: str
    tax_code: str
    first_name: str
    last_name: str
    sex: str
    birth_date: date
    birth_place: str
    password: str = PASSWORD

    def start_body(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "email": self.email,
            "tax_code": self.tax_code,
            "password": self.password,
            "password_confirmation": self.password,
            "privacy_accepted": True,
        }
        return {**body, **overrides}

    def complete_body(self, otp: str, **overrides: Any) -> dict[str, Any]:
        body = {
            "otp": otp,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat(),
            "birth_place": self.birth_place,
            "address_street": "Corso Trieste",
            "address_number": "12",
            "postcode": "81100",
            "municipality": "Caserta",
            "phone": "+39 0823 123456",
        }
        return {**body, **overrides}


def new_person(**overrides: Any) -> Person:
    """A citizen nobody else in this run has: unique e-mail, valid codice fiscale."""
    n = next(_counter)
    tag = uuid.uuid4().hex[:8]
    sex = "F" if n % 2 else "M"
    person = Person(
        email=f"cittadino.{tag}@example.it",
        tax_code="",
        first_name=_FIRST_NAMES[n % len(_FIRST_NAMES)],
        last_name=_LAST_NAMES[n % len(_LAST_NAMES)],
        sex=sex,
        # One birth date per person of the run: codici fiscali never collide by chance.
        birth_date=date(1940, 1, 1) + timedelta(days=n),
        birth_place="Caserta",
    )
    person = replace(person, **overrides)
    if not person.tax_code:
        person = replace(
            person,
            tax_code=codicefiscale.encode(
                lastname=person.last_name,
                firstname=person.first_name,
                gender=person.sex,
                birthdate=person.birth_date.isoformat(),
                birthplace=person.birth_place,
            ),
        )
    return person


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Identity:
    """One running identity app and what tests need around it."""

    app: FastAPI
    client: httpx.AsyncClient
    db: Database
    settings: Settings
    registrations: dict[str, str] = field(default_factory=dict)
    password: str = PASSWORD

    bearer = staticmethod(bearer)

    @staticmethod
    def query_token(url: str) -> str:
        return parse_qs(urlsplit(url).query)["t"][0]

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime

    def url(self, path: str) -> str:
        return f"{PREFIX}{path}"

    def client_from(self, address: str) -> httpx.AsyncClient:
        """Another client of the same app, seen as coming from ``address``."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        """Events of ``event_type`` in the outbox, in the version identity publishes now."""
        version = BY_TYPE_VERSION.get(event_type, 1)
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox_table.c.body)
                .where(outbox_table.c.routing_key == f"{event_type}.v{version}")
                .order_by(outbox_table.c.id)
            )
            return [row.body for row in rows]

    async def payloads(self, event_type: str, **match: Any) -> list[dict[str, Any]]:
        return [
            e["payload"]
            for e in await self.events(event_type)
            if all(e["payload"].get(k) == v for k, v in match.items())
        ]

    async def start(self, person: Person, **overrides: Any) -> httpx.Response:
        response = await self.client.post(self.url("/registrations"), json=person.start_body(**overrides))
        if response.status_code == 201:
            self.registrations[response.json()["registration_id"]] = response.json()["resume_token"]
        return response

    def session_headers(self, registration_id: str) -> dict[str, str]:
        return {"X-Registration-Token": self.registrations[registration_id]}

    async def otp(self, registration_id: str) -> str:
        started = await self.payloads("identity.registration.started", registration_id=registration_id)
        resent = await self.payloads("identity.registration.otp_resent", registration_id=registration_id)
        return (started + resent)[-1]["otp"]

    async def complete(self, registration_id: str, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(
            self.url(f"/registrations/{registration_id}/complete"),
            json=body,
            headers=self.session_headers(registration_id),
        )

    async def register(self, person: Person) -> str:
        started = await self.start(person)
        assert started.status_code == 201, started.text
        registration_id = started.json()["registration_id"]
        completed = await self.complete(
            registration_id, person.complete_body(await self.otp(registration_id))
        )
        assert completed.status_code == 201, completed.text
        return completed.json()["user_id"]

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.client.post(self.url("/auth/login"), json={"email": email, "password": password})

    async def tokens(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = await self.login(email, password)
        assert response.status_code == 200, response.text
        return response.json()

    async def citizen(self) -> tuple[Person, dict[str, Any]]:
        person = new_person()
        await self.register(person)
        return person, await self.tokens(person.email)

    async def create_staff(self, role: str, email: str | None = None) -> str:
        """An operator or admin account, written as the command line writes it."""
        email = email or f"{role}.{uuid.uuid4().hex[:8]}@comune.caserta.it"
        async with unit_of_work(self.db) as session:
            await create_staff(session, self.runtime, email=email, role=role, password=PASSWORD)
        return email

    async def staff(self, role: str) -> tuple[str, dict[str, Any]]:
        email = await self.create_staff(role)
        return email, await self.tokens(email)


MakeIdentity = Callable[..., Awaitable[Identity]]


@pytest.fixture(scope="session")
async def identity_url(make_database) -> str:  # noqa: ANN001
    return await make_database("identity", migrate="identity")


def _settings(url: str, service_env: dict[str, str], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        **service_env,
        **FAST_HASHING,
        "public_base_url": "https://parking.test",
        # Many tests fail logins from the same in-process address: only the tests of the
        # address limit lower it.
        "login_max_failures_per_address": 10_000,
        # Likewise registrations started from one address: only their own tests lower it.
        "registration_max_starts_per_address": 10_000,
        **overrides,
    }
    return Settings(**values)


async def _running(
    stack: AsyncExitStack, url: str, service_env: dict[str, str], **overrides: Any
) -> Identity:
    settings = _settings(url, service_env, **overrides)
    app = create_app(settings)
    client = await stack.enter_async_context(running_service(app))
    return Identity(app=app, client=client, db=app.state.runtime.db, settings=settings)


@pytest.fixture(scope="session")
async def identity(identity_url: str, service_env: dict[str, str]) -> AsyncIterator[Identity]:
    """The identity app most tests share (each test uses its own people)."""
    async with AsyncExitStack() as stack:
        yield await _running(stack, identity_url, service_env)


@pytest.fixture
async def make_identity(identity_url: str, service_env: dict[str, str]) -> AsyncIterator[MakeIdentity]:
    """Another replica on the same database, with its own settings (short TTLs, low limits)."""
    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> Identity:
            url = overrides.pop("database_url", identity_url)
            return await _running(stack, url, service_env, **overrides)

        yield make


@pytest.fixture
def person() -> Person:
    return new_person()


@pytest.fixture
def people() -> Callable[..., Person]:
    return new_person
