"""Text that PostgreSQL cannot store (NUL) or that no person types (other control characters)
is refused at the edge of every service with a 422 problem, and an unexpected exception becomes
a 500 problem logged once, on a connection that stays usable."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from kit.app import create_service_app
from kit.input_guard import MESSAGE, InputGuard
from kit.runtime import ServiceRuntime
from kit.settings import ServiceSettings
from kit.testing.services import running_service

PREFIX = "/api/kitguard"
router = APIRouter()


class Note(BaseModel):
    title: str
    reason: str = ""
    tags: list[str] = []
    extra: dict[str, str] = {}


async def _through_postgres(request: Request, value: str) -> str:
    """What PostgreSQL gives back for ``value``: the routes store what they are sent."""
    async with request.app.state.db.engine.connect() as connection:
        return (await connection.execute(text("SELECT CAST(:v AS text)"), {"v": value})).scalar_one()


@router.post("/notes", status_code=201)
async def create_note(note: Note, request: Request) -> dict[str, str]:
    return {
        "title": await _through_postgres(request, note.title),
        "reason": await _through_postgres(request, note.reason),
    }


@router.get("/notes")
async def search_notes(request: Request, q: str = "") -> dict[str, str]:
    return {"q": await _through_postgres(request, q)}


@router.get("/notes/{name}")
async def read_note(name: str, request: Request) -> dict[str, str]:
    return {"name": await _through_postgres(request, name)}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("something nobody expected")


@pytest.fixture(scope="module")
async def client(make_database, service_env) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    settings = ServiceSettings(
        service_name="kitguard",
        api_prefix=PREFIX,
        database_url=await make_database("kitguard"),
        run_relay=False,
        **service_env,
    )
    app = create_service_app(
        ServiceRuntime.from_settings(settings), title="t", description="d", routers=[router]
    )
    async with running_service(app) as c:
        yield c


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log_records(client: httpx.AsyncClient) -> Iterator[list[logging.LogRecord]]:
    # After the app's lifespan configured logging (it replaces the root handlers).
    handler = _Records()
    logging.getLogger().addHandler(handler)
    yield handler.records
    logging.getLogger().removeHandler(handler)


def assert_refused(response: httpx.Response, *fields: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "control_characters"
    assert problem["detail"] == MESSAGE == "Il testo contiene caratteri non ammessi."
    assert [e["field"] for e in problem["errors"]] == list(fields)
    assert {e["code"] for e in problem["errors"]} == {"control_characters"}


async def test_nul_in_a_body_string_is_refused_before_it_reaches_postgres(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{PREFIX}/notes", json={"title": "a\u0000b"})

    assert_refused(response, "title")


async def test_control_characters_deep_in_the_body_are_refused_with_their_path(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        f"{PREFIX}/notes",
        json={
            "title": "ok",
            "tags": ["ok", "bell\u0007"],
            "extra": {"a\u0000b": "x", "c\u0085": "y", "nota": "del\u007f"},
        },
    )

    assert_refused(response, "tags.1", "extra.a\\u0000b", "extra.c\\u0085", "extra.nota")


@pytest.mark.parametrize(
    "value",
    ["\u0000", "\u0001", "\u000b", "\u001b", "\u007f", "\u0085", "\u009f", "\ud800"],
    ids=["nul", "soh", "vertical-tab", "escape", "del", "c1-next-line", "c1-last", "lone-surrogate"],
)
async def test_each_forbidden_character_in_a_body_string_is_refused(
    client: httpx.AsyncClient, value: str
) -> None:
    # Written by hand: a lone surrogate cannot be encoded by httpx's JSON encoder.
    body = f'{{"title": "a\\u{ord(value):04x}b"}}'

    response = await client.post(
        f"{PREFIX}/notes", content=body.encode(), headers={"content-type": "application/json"}
    )

    assert_refused(response, "title")


async def test_nul_in_a_query_parameter_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PREFIX}/notes?q=a%00b")

    assert_refused(response, "q")


@pytest.mark.parametrize("encoded", ["%09", "%0A", "%0D"], ids=["tab", "lf", "cr"])
async def test_line_breaks_and_tabs_are_refused_in_a_query_parameter(
    client: httpx.AsyncClient, encoded: str
) -> None:
    response = await client.get(f"{PREFIX}/notes?q=a{encoded}b")

    assert_refused(response, "q")


async def test_nul_in_a_path_parameter_is_refused_naming_the_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PREFIX}/notes/a%00b")

    assert_refused(response, "name")


async def test_nul_in_a_path_that_matches_no_route_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PREFIX}/nowhere%00/x")

    assert_refused(response, "path")


async def test_italian_text_with_accents_apostrophes_emoji_and_line_breaks_is_stored_as_sent(
    client: httpx.AsyncClient,
) -> None:
    reason = "Perché l'auto è intestata all'azienda 🚗\nSeconda riga:\tcon tabulazione\r\nFine «ok» – €"

    created = await client.post(f"{PREFIX}/notes", json={"title": "Città di Caserta", "reason": reason})
    searched = await client.get(f"{PREFIX}/notes", params={"q": "via dell'Olmo n° 3 — è"})

    assert created.status_code == 201, created.text
    assert created.json() == {"title": "Città di Caserta", "reason": reason}
    assert searched.json() == {"q": "via dell'Olmo n° 3 — è"}


async def test_a_body_that_is_not_json_is_left_to_the_usual_validation(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{PREFIX}/notes", content=b'{"title": "a\\u0000', headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_a_multipart_body_reaches_the_route_as_it_streams() -> None:
    """Uploads are parsed as they arrive (kit.documents): the guard never holds them back."""
    chunks = [b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\x00', b"middle", b"\r\n--x--\r\n"]
    incoming = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
    ]
    seen: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0)

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        while True:
            message = await receive()
            seen.append(message)
            if not message.get("more_body"):
                break

    async def send(message) -> None:  # noqa: ANN001
        raise AssertionError(f"the guard answered: {message}")

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/kitguard/uploads",
        "query_string": b"",
        "headers": [(b"content-type", b"multipart/form-data; boundary=x")],
    }
    await InputGuard(app)(scope, receive, send)

    assert [m["body"] for m in seen] == chunks


async def test_an_unexpected_exception_is_a_500_problem_logged_once_with_the_correlation_id(
    client: httpx.AsyncClient, log_records: list[logging.LogRecord]
) -> None:
    response = await client.get(f"{PREFIX}/boom", headers={"X-Correlation-ID": "guard-boom-1"})

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-correlation-id"] == "guard-boom-1"
    assert response.json()["code"] == "internal_error"
    assert "nobody expected" not in response.text
    tracebacks = [r for r in log_records if r.exc_info]
    assert len(tracebacks) == 1
    assert tracebacks[0].msg["correlation_id"] == "guard-boom-1"
    assert tracebacks[0].msg["event"] == "request.unhandled_error"
