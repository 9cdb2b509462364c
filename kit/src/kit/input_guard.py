"""Refuses text that no person types and PostgreSQL may not store, before any route runs.

A NUL character cannot be stored in PostgreSQL (asyncpg fails, the request would end in a 500),
and the other control characters, DEL, the C1 controls and lone surrogates are never part of
what a citizen or an operator writes: they are refused in every string a service receives, with
one Italian problem (422, code ``control_characters``) whose ``errors`` name each field.

- JSON bodies (``application/json``, ``application/*+json``): every string at any depth, object
  keys included. Tab, line feed and carriage return are allowed in values (multi-line reasons).
- Query parameters (names and values) and the path (its parameters): nothing below U+0020.

Other bodies pass untouched and unbuffered: multipart uploads are parsed as they stream by
``kit.documents``, which checks its own text fields. Headers are not inspected.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.problems import problem_response

CODE = "control_characters"
MESSAGE = "Il testo contiene caratteri non ammessi."
# No response lists more fields than this: one is enough to fix the request.
MAX_ERRORS = 20

# C0 controls, DEL, C1 controls and lone surrogates (json.loads lets "\ud800" through).
_NAMES = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The same, less tab, line feed and carriage return: allowed in free text.
_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# A UTF-8 JSON body without any of these holds none of the characters above: a string can
# only carry them escaped (\u0000), as DEL, or as the UTF-8 lead bytes of C1 (\xc2) and of
# surrogates (\xed). Raw C0 bytes are invalid JSON, left to the usual validation.
_SUSPECT_BYTES = (b"\\u", b"\x7f", b"\xc2", b"\xed")


def visible(text: str) -> str:
    """``text`` with each forbidden character written as ``\\uXXXX`` (safe to show or log)."""
    return _NAMES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def body_errors(body: bytes) -> list[str]:
    """Fields of a JSON body holding forbidden characters; none when it is not JSON."""
    if json.detect_encoding(body) == "utf-8" and not any(b in body for b in _SUSPECT_BYTES):
        return []
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON: the route's validation says so
        return []
    fields: list[str] = []
    # Iterative: a deeply nested document must not exhaust the stack here.
    stack: list[tuple[str, Any]] = [("", document)]
    while stack and len(fields) < MAX_ERRORS:
        path, value = stack.pop()
        if isinstance(value, str):
            if _TEXT.search(value):
                fields.append(path or "body")
        elif isinstance(value, dict):
            children = [
                (f"{path}.{visible(key)}" if path else visible(key), key, item) for key, item in value.items()
            ]
            fields.extend(child for child, key, _ in children if _NAMES.search(key))
            stack.extend((child, item) for child, _, item in reversed(children))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}.{i}" if path else str(i), item) for i, item in reversed(list(enumerate(value)))
            )
    return list(dict.fromkeys(fields))[:MAX_ERRORS]


def query_errors(query_string: bytes) -> list[str]:
    # As Starlette reads it (QueryParams): latin-1 to text, then percent-decoded as UTF-8.
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    fields = [visible(name) for name, value in pairs if _NAMES.search(name) or _NAMES.search(value)]
    return list(dict.fromkeys(fields))[:MAX_ERRORS]


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media_type = value.decode("latin-1").split(";", 1)[0].strip().lower()
            return media_type == "application/json" or (
                media_type.startswith("application/") and media_type.endswith("+json")
            )
    return False  # FastAPI reads a body without a content type as bytes, never as JSON


class InputGuard:
    """Pure ASGI middleware; ``api`` (the app itself) names the path parameter at fault."""

    def __init__(self, app: ASGIApp, api: FastAPI | None = None) -> None:
        self.app = app
        self.api = api
        self._patterns: list[re.Pattern[str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fields = self._path_errors(scope) + query_errors(scope.get("query_string", b""))
        if fields:
            await self._refuse(fields, scope, receive, send)
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before sending the whole body
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        fields = body_errors(body)
        if fields:
            await self._refuse(fields, scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # what comes after the body: a disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _path_errors(self, scope: Scope) -> list[str]:
        path = scope.get("path", "")
        if not _NAMES.search(path):
            return []
        for pattern in self._path_patterns():
            match = pattern.match(path)
            if match:
                named = [name for name, value in match.groupdict().items() if _NAMES.search(value)]
                return named or ["path"]
        return ["path"]

    def _path_patterns(self) -> list[re.Pattern[str]]:
        # From the OpenAPI document: FastAPI's included routers do not list their routes.
        if self._patterns is None:
            paths = self.api.openapi().get("paths", {}) if self.api is not None else {}
            self._patterns = [compile_path(path)[0] for path in paths]
        return self._patterns

    async def _refuse(self, fields: list[str], scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            422,
            CODE,
            MESSAGE,
            instance=visible(scope.get("path", "")),
            errors=[{"field": field, "code": CODE, "message": MESSAGE} for field in fields],
        )
        await response(scope, receive, send)
