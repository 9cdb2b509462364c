"""The vehicles service under test: a real migrated database, the real broker, the app run
in-process, tokens from a test issuer. Helpers come as fixtures (tests import nothing from here)."""

from __future__ import annotations

import io
import random
import string
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select

from kit.db import Database, outbox_table
from kit.testing.services import running_service
from kit.testing.tokens import TestIssuer
from vehicles.main import create_app
from vehicles.models import PlateRequest, audit, citizens, documents
from vehicles.settings import Settings

PREFIX = "/api/vehicles"
_PLATE_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"


def new_plate() -> str:
    """A car plate (AA 000 AA) that no other test of the run uses."""
    letters = random.choices(_PLATE_LETTERS, k=4)
    digits = random.choices(string.digits, k=3)
    return "".join(letters[:2] + digits + letters[2:])


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=300, height=400)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, format="PNG")
    return out.getvalue()


@dataclass
class Vehicles:
    """One running vehicles app and what tests need around it."""

    app: FastAPI
    client: httpx.AsyncClient
    db: Database
    issuer: TestIssuer

    new_plate = staticmethod(new_plate)
    pdf = staticmethod(pdf_bytes)
    png = staticmethod(png_bytes)

    def url(self, path: str) -> str:
        return f"{PREFIX}{path}"

    def citizen(self, user_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.issuer.headers(user_id or uuid.uuid4(), "citizen")

    def operator(self, role: str = "operator") -> dict[str, str]:
        user_id = uuid.uuid4()
        return self.issuer.headers(user_id, role, email=f"operatore.{user_id.hex[:6]}@comune.caserta.it")  # type: ignore[arg-type]

    @staticmethod
    def form(plate: str, **overrides: str) -> dict[str, str]:
        values = {
            "plate": plate,
            "plate_confirmation": plate,
            "foreign": "false",
            "make": "Fiat",
            "model": "Panda",
            "fuel": "benzina",
            "owned": "true",
        }
        return {k: v for k, v in {**values, **overrides}.items() if v is not None}

    def files(self, *, attestation: bool = False, registration: bool = True) -> dict[str, Any]:
        files: dict[str, Any] = {}
        if registration:
            files["registration_document"] = ("libretto.pdf", self.pdf(), "application/pdf")
        if attestation:
            files["availability_attestation"] = ("attestazione.png", self.png(), "image/png")
        return files

    async def submit(
        self,
        headers: dict[str, str],
        plate: str | None = None,
        *,
        files: dict[str, Any] | None = None,
        **overrides: str,
    ) -> httpx.Response:
        return await self.client.post(
            self.url("/requests"),
            data=self.form(plate or self.new_plate(), **overrides),
            files=files if files is not None else self.files(),
            headers=headers,
        )

    async def submitted(self, headers: dict[str, str], plate: str | None = None, **kw: Any) -> dict[str, Any]:
        response = await self.submit(headers, plate, **kw)
        assert response.status_code == 201, response.text
        return response.json()

    async def approve(self, request_id: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(
            self.url(f"/admin/requests/{request_id}/approve"), json=body or {}, headers=self.operator()
        )

    async def reject(self, request_id: str, reason: Any = "Libretto illeggibile") -> httpx.Response:
        return await self.client.post(
            self.url(f"/admin/requests/{request_id}/reject"), json={"reason": reason}, headers=self.operator()
        )

    async def associated(
        self, headers: dict[str, str], plate: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        """A plate associated to the citizen of ``headers``: submitted and approved."""
        request = await self.submitted(headers, plate, **kw)
        approved = await self.approve(request["id"])
        assert approved.status_code == 200, approved.text
        return approved.json()

    async def racing_request(self, request_id: str) -> str:
        """A pending request for the plate of ``request_id`` by another citizen, as a request sent
        while ``request_id`` was being approved leaves it (it saw neither the association nor,
        any longer, a pending request)."""
        table = PlateRequest.__table__  # type: ignore[attr-defined]
        racing_id = uuid.uuid4()
        racing = {"id": racing_id, "user_id": uuid.uuid4(), "status": "pending", "decided_at": None}
        racing |= {"decided_by": None, "electric": None, "plate_id": None}
        async with self.db.engine.begin() as conn:
            row = (await conn.execute(select(table).where(table.c.id == uuid.UUID(request_id)))).one()
            await conn.execute(table.insert().values({**row._asdict(), **racing}))
        return str(racing_id)

    async def payloads(self, event_type: str, **match: Any) -> list[dict[str, Any]]:
        async with self.db.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox_table.c.body)
                .where(outbox_table.c.routing_key == f"{event_type}.v1")
                .order_by(outbox_table.c.id)
            )
            bodies = [row.body for row in rows]
        return [b["payload"] for b in bodies if all(b["payload"].get(k) == str(v) for k, v in match.items())]

    async def audit_entries(self, request_id: str) -> int:
        async with self.db.engine.connect() as conn:
            return await conn.scalar(
                select(func.count()).select_from(audit).where(audit.c.subject_id == uuid.UUID(request_id))
            )

    async def documents_of(self, user_id: uuid.UUID) -> int:
        async with self.db.engine.connect() as conn:
            return await conn.scalar(
                select(func.count()).select_from(documents).where(documents.c.owner_id == user_id)
            )

    async def add_citizen(self, user_id: uuid.UUID, **values: Any) -> None:
        """A citizen as the read model knows them (identity's events would write the same row)."""
        row = {
            "user_id": user_id,
            "email": f"cittadino.{user_id.hex[:8]}@example.it",
            "tax_code": "RSSMRA80A01B963Z",
            "first_name": "Mario",
            "last_name": "Rossi",
            "municipality": "Caserta",
            **values,
        }
        async with self.db.engine.begin() as conn:
            await conn.execute(citizens.insert().values(**row))


@pytest.fixture(scope="session")
async def vehicles_url(make_database) -> str:  # noqa: ANN001
    return await make_database("vehicles", migrate="vehicles")


@pytest.fixture(scope="session")
async def vehicles(vehicles_url: str, service_env: dict[str, str]) -> AsyncIterator[Vehicles]:
    """The vehicles app every test shares (each test uses its own citizens and plates)."""
    app = create_app(Settings(database_url=vehicles_url, **service_env))
    issuer = TestIssuer()
    issuer.install(app)
    async with running_service(app) as client:
        yield Vehicles(app=app, client=client, db=app.state.runtime.db, issuer=issuer)
