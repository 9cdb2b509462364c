"""The authorization matrix: every route of an app, found in its OpenAPI document, called by
people who must be refused, with what each must answer.

- a route under ``/admin/``: no token → 401, a citizen → 403, an operator never 401 (403 marks
  the route admin-only), an admin never 401/403, nobody a 5xx;
- any other route with a UUID path parameter: no token → 401, citizen B with citizen A's ids
  → 404 (A's own GET of the same URL is the control that the ids are real: never 401/403/404).

Ids of A come from ``owned`` (path parameter name → A's value): a route all of whose UUID
parameters are in ``owned`` is checked with real foreign ids, any other with fresh random ones.
A route whose path parameters are not UUIDs and that is not under ``/admin/`` is listed as out
of the matrix (``skipped``).

``list_matrix`` adds the collections (a GET without path parameters answering a page): citizen
B never finds citizen A's items in one, A (seeded first) finds hers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from fastapi import FastAPI

from kit.testing.modules import module_at
from kit.testing.tokens import TestIssuer

ROOT = Path(__file__).resolve().parents[2]
_PARAM = re.compile(r"\{([^}:]+)[^}]*\}")


def service_conftest(service: str) -> ModuleType:
    """``services/<service>/tests/conftest.py`` as a module of its own (its helpers, reused)."""
    return module_at(f"_authz_conftest_{service}", ROOT / "services" / service / "tests" / "conftest.py")


@dataclass
class Call:
    service: str
    method: str
    route: str  # the path template
    caller: str
    expected: str
    got: int
    ids: str  # "real" (A's), "random", "-" (no UUID parameter), or "list" (a collection)
    ok: bool
    detail: str = ""


@dataclass
class Matrix:
    calls: list[Call] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # service, method, route
    admin_only: list[tuple[str, str, str]] = field(default_factory=list)
    admin_lists: list[tuple[str, str]] = field(default_factory=list)  # service, path

    def extend(self, other: Matrix) -> None:
        self.calls += other.calls
        self.skipped += other.skipped
        self.admin_only += other.admin_only
        self.admin_lists += other.admin_lists

    @property
    def failures(self) -> list[Call]:
        return [c for c in self.calls if not c.ok]

    def table(self) -> str:
        rows = [("service", "method", "route", "caller", "ids", "expected", "got", "")]
        rows += [
            (c.service, c.method, c.route, c.caller, c.ids, c.expected, str(c.got), "ok" if c.ok else "FAIL")
            for c in self.calls
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def uuid_params(operation: Mapping[str, Any]) -> list[str]:
    return [
        p["name"]
        for p in operation.get("parameters", [])
        if p["in"] == "path" and p.get("schema", {}).get("format") == "uuid"
    ]


def routes(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation) of every route in the app's OpenAPI document."""
    return [
        (method.upper(), path, operation)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
    ]


def _fill(path: str, values: Mapping[str, str]) -> str:
    return _PARAM.sub(lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


async def authorization_matrix(
    service: str,
    app: FastAPI,
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    *,
    owner: uuid.UUID,
    owned: Mapping[str, str] | None = None,
    bodies: Mapping[tuple[str, str], Any] | None = None,
) -> Matrix:
    """Call every route of ``app`` as the matrix says; ``owner`` is citizen A, whose ids are
    ``owned``; ``bodies`` gives a valid JSON body by (METHOD, path template) (default ``{}``),
    so that the ownership check, not validation, is what refuses."""
    owned = dict(owned or {})
    bodies = bodies or {}
    result = Matrix()
    intruder = uuid.uuid4()  # citizen B
    callers: dict[str, Callable[[], dict[str, str]]] = {
        "anonymous": dict,
        "citizen B": lambda: issuer.headers(intruder, "citizen"),
        "citizen A (owner)": lambda: issuer.headers(owner, "citizen"),
        "operator": lambda: issuer.headers(uuid.uuid4(), "operator", email="operatore@comune.caserta.it"),
        "admin": lambda: issuer.headers(uuid.uuid4(), "admin", email="admin@comune.caserta.it"),
    }

    async def call(
        method: str, path: str, operation: dict[str, Any], caller: str, values: Mapping[str, str]
    ) -> httpx.Response:
        extra: dict[str, Any] = {}
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            extra["json"] = bodies.get((method, path), {})
        elif content:  # multipart / form: an empty form (auth is decided before the body)
            extra["data"] = {}
        return await client.request(method, _fill(path, values), headers=callers[caller](), **extra)

    def record(
        method: str, path: str, caller: str, expected: str, response: httpx.Response, ids: str, ok: bool
    ) -> None:
        result.calls.append(
            Call(service, method, path, caller, expected, response.status_code, ids, ok, response.text[:300])
        )

    for method, path, operation in routes(app):
        params = _PARAM.findall(path)
        ids = uuid_params(operation)
        if "/admin/" in path:
            real = {k: v for k, v in owned.items() if k in params}
            kind = ("real" if all(p in owned for p in ids) else "random") if ids else "-"
            response = await call(method, path, operation, "anonymous", real)
            record(method, path, "anonymous", "401", response, kind, response.status_code == 401)
            response = await call(method, path, operation, "citizen B", real)
            record(method, path, "citizen B", "403", response, kind, response.status_code == 403)
            # Staff with fresh ids: what the role alone decides, and nothing of A's is changed.
            response = await call(method, path, operation, "operator", {})
            got = response.status_code
            record(
                method,
                path,
                "operator",
                "not 401, <500",
                response,
                "random" if params else "-",
                got != 401 and got < 500,
            )
            if got == 403:
                result.admin_only.append((service, method, path))
            response = await call(method, path, operation, "admin", {})
            got = response.status_code
            record(
                method,
                path,
                "admin",
                "not 401/403, <500",
                response,
                "random" if params else "-",
                got not in (401, 403) and got < 500,
            )
        elif ids:
            kind = "real" if all(p in owned for p in ids) else "random"
            values = {k: v for k, v in owned.items() if k in params}
            response = await call(method, path, operation, "anonymous", values)
            record(method, path, "anonymous", "401", response, kind, response.status_code == 401)
            response = await call(method, path, operation, "citizen B", values)
            record(method, path, "citizen B", "404", response, kind, response.status_code == 404)
            if kind == "real" and method == "GET":
                response = await call(method, path, operation, "citizen A (owner)", values)
                got = response.status_code
                record(
                    method,
                    path,
                    "citizen A (owner)",
                    "not 401/403/404, <500",
                    response,
                    kind,
                    got not in (401, 403, 404) and got < 500,
                )
        elif params:
            result.skipped.append((service, method, path))
    return result


def _page_lists(app: FastAPI) -> list[tuple[str, dict[str, Any]]]:
    """(path, operation) of every GET that takes no path parameter and answers a page of items
    (the services' ``Page[...]`` envelope): the collections."""
    found = []
    for method, path, operation in routes(app):
        schema = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        ref = schema.get("schema", {}).get("$ref", "")
        if method == "GET" and not _PARAM.findall(path) and ref.startswith("#/components/schemas/Page_"):
            found.append((path, operation))
    return found


def _uuid_query_params(operation: Mapping[str, Any]) -> list[str]:
    """Query filters taking a UUID (optional ones are ``anyOf: [uuid, null]``)."""
    return [
        p["name"]
        for p in operation.get("parameters", [])
        if p["in"] == "query"
        and any(
            s.get("format") == "uuid" for s in [p.get("schema", {}), *p.get("schema", {}).get("anyOf", [])]
        )
    ]


async def list_matrix(
    service: str,
    app: FastAPI,
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    *,
    owner: uuid.UUID,
    owned: Mapping[str, str] | None = None,
    catalogues: frozenset[str] = frozenset(),
) -> Matrix:
    """Every collection outside ``/admin/`` (those are in ``authorization_matrix``: citizens
    403): citizen A, seeded with real data beforehand, sees items of hers (the control that the
    check means something); citizen B, also when every UUID query filter names A, gets 200 and
    none of A's ids (A's user id, ``owned``, the ids of A's items); nobody anonymous gets in.
    ``catalogues`` are the paths of lists that are the same for everybody (sectors, types):
    A need not have items there, B must still see none of A's ids."""
    result = Matrix()
    intruder = uuid.uuid4()

    def record(
        path: str, caller: str, expected: str, response: httpx.Response, ok: bool, detail: str = ""
    ) -> None:
        result.calls.append(
            Call(
                service,
                "GET",
                path,
                caller,
                expected,
                response.status_code,
                "list",
                ok,
                detail or response.text[:300],
            )
        )

    for path, operation in _page_lists(app):
        if "/admin/" in path:  # refused to citizens by authorization_matrix's rule
            result.admin_lists.append((service, path))
            continue
        anonymous = await client.get(path)
        if path not in catalogues:
            record(path, "anonymous", "401", anonymous, anonymous.status_code == 401)
        mine = await client.get(path, headers=issuer.headers(owner, "citizen"))
        items = mine.json().get("items", []) if mine.status_code == 200 else []
        a_ids = {str(owner), *(owned or {}).values(), *(str(i["id"]) for i in items if i.get("id"))}
        seeded = path in catalogues or bool(items)
        record(
            path,
            "citizen A (owner)",
            "200 with A's items" if path not in catalogues else "200",
            mine,
            mine.status_code == 200 and seeded,
            "" if seeded else "A has no item here: seed her data before the matrix",
        )
        # A UUID filter gets A's id of that name (else A's user id): B must not reach A that way.
        filters = {name: (owned or {}).get(name, str(owner)) for name in _uuid_query_params(operation)}
        for params in ({}, filters) if filters else ({},):
            theirs = await client.get(path, params=params, headers=issuer.headers(intruder, "citizen"))
            leaked = sorted(i for i in a_ids if i in theirs.text)
            caller = "citizen B" + (f" ?{'&'.join(params)}=A" if params else "")
            # Filtered by A's ids, a refusal is as good as an empty page.
            allowed = (200, 403, 404, 422) if params else (200,)
            record(
                path,
                caller,
                "200 without A's ids" + (" (or 403/404/422)" if params else ""),
                theirs,
                theirs.status_code in allowed and not leaked,
                f"A's ids in the answer: {leaked}" if leaked else "",
            )
    return result
