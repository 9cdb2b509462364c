"""The certification service under test: a real migrated database, the real broker, the app run
in-process, trusting a test token issuer. Helpers come as fixtures (tests import nothing from
here)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select

from certification.main import build_runtime, create_app
from certification.models import audit, citizens, documents
from certification.runtime import Runtime
from certification.service.sectors import drafts_from, seed
from certification.settings import EXAMPLE_SECTORS, Settings
from kit.clock import Clock
from kit.db import Database, outbox_table
from kit.testing.services import running_service
from kit.testing.tokens import TestIssuer
from kit.uow import unit_of_work

PREFIX = "/api/certifications"


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(300, 400)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


@dataclass
class Citizen:
    user_id: uuid.UUID
    headers: dict[str, str]


@dataclass
class Service:
    """One running certification app and what tests need around it."""

    app: FastAPI
    client: httpx.AsyncClient
    issuer: TestIssuer

    pdf = staticmethod(pdf_bytes)
    image = staticmethod(image_bytes)

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime

    @property
    def db(self) -> Database:
        return self.runtime.db

    @staticmethod
    def url(path: str) -> str:
        return f"{PREFIX}{path}"

    def headers(self, role: str = "citizen", user_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.issuer.headers(user_id or uuid.uuid4(), role)  # type: ignore[arg-type]

    def citizen(self) -> Citizen:
        user_id = uuid.uuid4()
        return Citizen(user_id, self.issuer.headers(user_id, "citizen"))

    async def register(self, citizen: Citizen, **details: Any) -> dict[str, Any]:
        """The citizens read-model row that identity's UserRegisteredV2 would have written."""
        tag = citizen.user_id.hex[:8]
        row: dict[str, Any] = {
            "user_id": citizen.user_id,
            "email": f"cittadino.{tag}@example.it",
            "tax_code": "RSSMRA80A01B963K",
            "first_name": "Mario",
            "last_name": "Rossi",
            "sex": "M",
            "birth_date": date(1980, 1, 1),
            "birth_place": "Caserta",
            "address_street": "Via Mazzini",
            "address_number": "12",
            "postcode": "81100",
            "municipality": "Caserta",
            "phone": "3331234567",
            **details,
        }
        async with unit_of_work(self.db) as session:
            await session.exec(citizens.insert().values(**row))
        return row

    async def submit(
        self,
        citizen: Citizen,
        sector_code: str = "S1",
        *,
        identity_document: tuple[str, bytes, str] | None = None,
        self_certification: tuple[str, bytes, str] | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        files = {
            "identity_document": identity_document
            or ("carta-identita.jpg", image_bytes("JPEG"), "image/jpeg"),
            "self_certification": self_certification
            or ("autocertificazione.pdf", pdf_bytes(), "application/pdf"),
        }
        return await (client or self.client).post(
            self.url("/requests"), data={"sector_code": sector_code}, files=files, headers=citizen.headers
        )

    async def pending_request(self, citizen: Citizen, sector_code: str = "S1") -> dict[str, Any]:
        response = await self.submit(citizen, sector_code)
        assert response.status_code == 201, response.text
        return response.json()

    async def decide(self, request_id: str, action: str, body: Any = None, *, headers=None) -> httpx.Response:  # noqa: ANN001
        return await self.client.post(
            self.url(f"/admin/requests/{request_id}/{action}"),
            json=body,
            headers=headers or self.headers("operator"),
        )

    async def events(self, routing_key: str, **match: Any) -> list[dict[str, Any]]:
        """Payloads of the outbox's events of ``routing_key`` whose fields equal ``match``."""
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox_table.c.body)
                .where(outbox_table.c.routing_key == routing_key)
                .order_by(outbox_table.c.id)
            )
            payloads = [row.body["payload"] for row in rows]
        return [
            p
            for p in payloads
            if all(p.get(k) == (str(v) if isinstance(v, uuid.UUID) else v) for k, v in match.items())
        ]

    async def audit_entries(self, request_id: str) -> int:
        async with self.db.engine.connect() as conn:
            return await conn.scalar(
                select(func.count()).select_from(audit).where(audit.c.subject_id == uuid.UUID(request_id))
            )

    async def count(self, table: Any) -> int:
        async with self.db.engine.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(table))

    async def documents_of(self, user_id: uuid.UUID) -> int:
        async with self.db.engine.connect() as conn:
            return await conn.scalar(
                select(func.count()).select_from(documents).where(documents.c.owner_id == user_id)
            )


async def seed_example_sectors(rt: Runtime) -> None:
    data = json.loads(EXAMPLE_SECTORS.read_text(encoding="utf-8"))
    async with unit_of_work(rt.db) as session:
        await seed(session, rt, drafts_from(data["sectors"]))


def make_settings(url: str, service_env: dict[str, str], **overrides: Any) -> Settings:
    return Settings(database_url=url, **{**service_env, **overrides})


async def start_service(
    stack: AsyncExitStack,
    url: str,
    service_env: dict[str, str],
    *,
    clock: Clock | None = None,
    **overrides: Any,
) -> Service:
    settings = make_settings(url, service_env, **overrides)
    runtime = build_runtime(settings, clock=clock)
    app = create_app(runtime=runtime)
    issuer = TestIssuer()
    issuer.install(app)
    client = await stack.enter_async_context(running_service(app))
    await seed_example_sectors(runtime)
    return Service(app=app, client=client, issuer=issuer)


@pytest.fixture(scope="session")
async def certification_url(make_database) -> str:  # noqa: ANN001
    return await make_database("certification", migrate="certification")


@pytest.fixture(scope="session")
async def service(certification_url: str, service_env: dict[str, str]) -> AsyncIterator[Service]:
    """The app most tests share (each test uses its own citizens)."""
    async with AsyncExitStack() as stack:
        yield await start_service(stack, certification_url, service_env)


@pytest.fixture
async def fresh_service(make_database, service_env: dict[str, str]) -> AsyncIterator[Any]:  # noqa: ANN001
    """``await fresh_service(clock=..., **settings)``: an app on a database of its own."""
    async with AsyncExitStack() as stack:

        async def make(*, clock: Clock | None = None, **overrides: Any) -> Service:
            url = await make_database("certification_own", migrate="certification")
            return await start_service(stack, url, service_env, clock=clock, **overrides)

        yield make
