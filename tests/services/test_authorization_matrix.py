"""The authorization matrix (security acceptance): every route of every service, enumerated from
its OpenAPI document, called by whoever must be refused. Every ``/admin/`` route refuses an
anonymous caller (401) and a citizen (403) and never answers an operator 401; every other route
that takes a UUID id answers citizen B asking for citizen A's object 404, with A's real ids
(created through each service's API and handlers) where the service holds such objects.

The rules and the calls are in ``authz_matrix.py``; the last test shows the matrix catches a
deliberately open route."""

from __future__ import annotations

import importlib
import importlib.util
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from kit.deps import Citizen, Operator
from kit.errors import NotFound
from kit.pagination import Page
from kit.testing.modules import module_at
from kit.testing.services import running_service
from kit.testing.tokens import TestIssuer

M: Any = module_at("_authz_matrix_helpers", Path(__file__).with_name("authz_matrix.py"))
SERVICES = ["identity", "certification", "vehicles", "subscriptions", "billing", "notifications"]
# The citizens' own collections: each must be checked with A's real items in it.
CITIZEN_LISTS = {
    ("certification", "/api/certifications/requests"),
    ("vehicles", "/api/vehicles/requests"),
    ("vehicles", "/api/vehicles/plates"),
    ("subscriptions", "/api/subscriptions/requests"),
    ("subscriptions", "/api/subscriptions/subscriptions"),
    ("billing", "/api/billing/orders"),
    ("notifications", "/api/notifications/me/messages"),
}
# Routes that must be checked with real foreign ids (service, fragment of the path template).
REAL_REQUIRED = [
    ("certification", "/requests/{request_id}"),
    ("certification", "/documents/{document_id}"),
    ("vehicles", "/requests/{request_id}"),
    ("vehicles", "/documents/{document_id}"),
    ("vehicles", "/plates/{plate_id}"),
    ("subscriptions", "/requests/{request_id}"),
    ("subscriptions", "/subscriptions/{subscription_id}"),
    ("billing", "/orders/{request_id}"),
    ("billing", "/receipts/{request_id}"),
    ("billing", "/invoices/{request_id}"),
]


async def _plain(
    stack: AsyncExitStack, service: str, make_database, service_env
) -> tuple[Any, Any, TestIssuer]:  # noqa: ANN001
    main = importlib.import_module(f"{service}.main")
    settings_mod = importlib.import_module(f"{service}.settings")
    url = await make_database(f"authz_{service}", migrate=service)
    app = main.create_app(settings_mod.Settings(database_url=url, **service_env))
    issuer = TestIssuer()
    issuer.install(app)
    client = await stack.enter_async_context(running_service(app))
    return app, client, issuer


async def _both(service: str, app, client, issuer, *, owner, owned=None, bodies=None, catalogues=frozenset()):  # noqa: ANN001, ANN202
    """The id and role matrix, then the collections' (A's real data seeded by the caller)."""
    matrix = await M.authorization_matrix(
        service, app, client, issuer, owner=owner, owned=owned, bodies=bodies
    )
    matrix.extend(
        await M.list_matrix(service, app, client, issuer, owner=owner, owned=owned, catalogues=catalogues)
    )
    return matrix


async def _identity(stack, make_database, service_env):  # noqa: ANN001, ANN202
    app, client, issuer = await _plain(stack, "identity", make_database, service_env)
    return await _both("identity", app, client, issuer, owner=uuid.uuid4())


async def _notifications(stack, make_database, service_env):  # noqa: ANN001, ANN202
    from contracts import Envelope
    from contracts.events import UserRegistered
    from contracts.registry import parse_payload
    from notifications.handlers import build_handlers

    app, client, issuer = await _plain(stack, "notifications", make_database, service_env)
    # A's welcome message, through the service's own handler of the event that gives it.
    owner = uuid.uuid4()
    event = UserRegistered(
        user_id=owner,
        email=f"a.{owner.hex[:8]}@example.it",
        tax_code="RSSMRA80A01B963X",
        first_name="Anna",
        last_name="Rossi",
        registered_at=datetime.now(UTC),
    )
    envelope = Envelope.wrap(event, correlation_id=uuid.uuid4().hex)
    runtime = app.state.runtime
    for _, handler in build_handlers(runtime).handlers[envelope.routing_key]:
        async with runtime.db.session() as session:
            await handler(session, parse_payload(envelope), envelope)
            await session.commit()
    return await _both("notifications", app, client, issuer, owner=owner)


async def _certification(stack, make_database, service_env):  # noqa: ANN001, ANN202
    conf = M.service_conftest("certification")
    url = await make_database("authz_certification", migrate="certification")
    svc = await conf.start_service(stack, url, service_env)
    a = svc.citizen()
    await svc.register(a)
    png = ("carta-identita.png", conf.image_bytes("PNG"), "image/png")
    submitted = await svc.submit(a, "S1", identity_document=png)
    assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()["id"]
    detail = await svc.client.get(svc.url(f"/requests/{request_id}"), headers=a.headers)
    assert detail.status_code == 200, detail.text
    owned = {"request_id": request_id, "document_id": detail.json()["documents"][0]["id"]}
    return await _both(
        "certification",
        svc.app,
        svc.client,
        svc.issuer,
        owner=a.user_id,
        owned=owned,
        catalogues=frozenset({"/api/certifications/sectors"}),
    )


async def _vehicles(stack, make_database, service_env):  # noqa: ANN001, ANN202
    conf = M.service_conftest("vehicles")
    url = await make_database("authz_vehicles", migrate="vehicles")
    app = conf.create_app(conf.Settings(database_url=url, **service_env))
    issuer = TestIssuer()
    issuer.install(app)
    client = await stack.enter_async_context(running_service(app))
    v = conf.Vehicles(app=app, client=client, db=app.state.runtime.db, issuer=issuer)
    owner = uuid.uuid4()
    await v.add_citizen(owner)
    a = v.citizen(owner)
    pending = await v.submitted(a, files=v.files(attestation=True), owned="false")
    associated = await v.associated(a)
    assert associated["plate_id"], associated
    owned = {
        "request_id": pending["id"],
        "document_id": pending["documents"][0]["id"],
        "plate_id": associated["plate_id"],
    }
    return await _both("vehicles", app, client, issuer, owner=owner, owned=owned)


async def _subscriptions(stack, make_database, service_env):  # noqa: ANN001, ANN202
    conf = M.service_conftest("subscriptions")
    url = await make_database("authz_subscriptions", migrate="subscriptions")
    await conf.seed_types(conf.Settings(database_url=url, environment="test"))
    subs = await conf._running(stack, url, service_env)
    a, certification_id, plate_id = await subs.resident()
    subscription = await subs.active_subscription(a, certification_id, plate_id)
    owned = {"request_id": subscription["request_id"], "subscription_id": subscription["id"]}
    return await _both(
        "subscriptions",
        subs.app,
        subs.client,
        subs.issuer,
        owner=a.user_id,
        owned=owned,
        catalogues=frozenset({"/api/subscriptions/types"}),
    )


async def _billing(stack, make_database, service_env):  # noqa: ANN001, ANN202
    conf = M.service_conftest("billing")
    url = await make_database("authz_billing", migrate="billing")
    env = {**service_env, "queue_prefix": f"{service_env['queue_prefix']}authz."}
    billing = await conf.start_billing(stack, url, env)
    owner, request_id, _ = await billing.paid_order()
    await billing.issued_invoice(owner, request_id)
    prefix = conf.PREFIX
    bodies = {
        ("POST", f"{prefix}/orders/{{request_id}}/checkout"): {"return_url": conf.RETURN_URL},
        ("POST", f"{prefix}/invoices/{{request_id}}"): billing.buyer(),
    }
    return await _both(
        "billing",
        billing.app,
        billing.client,
        billing.issuer,
        owner=owner,
        owned={"request_id": str(request_id)},
        bodies=bodies,
    )


BUILDERS = {
    "identity": _identity,
    "certification": _certification,
    "vehicles": _vehicles,
    "subscriptions": _subscriptions,
    "billing": _billing,
    "notifications": _notifications,
}


async def test_every_foreign_or_unprivileged_caller_is_refused(make_database, service_env) -> None:  # noqa: ANN001
    assert set(BUILDERS) == set(SERVICES)
    matrix = M.Matrix()
    for service in SERVICES:
        async with AsyncExitStack() as stack:
            matrix.extend(await BUILDERS[service](stack, make_database, service_env))

    print("\n" + matrix.table())
    refusals = [c for c in matrix.calls if c.caller in ("anonymous", "citizen B") and c.ids != "list"]
    lists = [c for c in matrix.calls if c.ids == "list"]
    routes = {(c.service, c.method, c.route) for c in matrix.calls}
    id_routes = {
        (c.service, c.method, c.route, c.ids)
        for c in refusals
        if c.caller == "citizen B" and "/admin/" not in c.route
    }
    admin_routes = {(c.service, c.method, c.route) for c in matrix.calls if "/admin/" in c.route}
    by_ids = Counter(kind for *_, kind in id_routes)
    print(
        f"\nroutes in the matrix: {len(routes)} ({len(admin_routes)} under /admin/, "
        f"{len(id_routes)} citizen routes taking ids: {by_ids['real']} with real foreign ids, "
        f"{by_ids['random']} with random ids)"
    )
    print(
        f"calls: {len(matrix.calls)}, of which must-refuse calls: {len(refusals)}, "
        f"refused as expected: {sum(c.ok for c in refusals)}"
    )
    print("admin-only routes (operator 403):", *(f"  {s} {m} {r}" for s, m, r in matrix.admin_only), sep="\n")
    print(
        "not in the matrix (path parameters that are not ids, outside /admin/):",
        *(f"  {s} {m} {r}" for s, m, r in matrix.skipped),
        sep="\n",
    )
    for service in SERVICES:
        by_caller = Counter((c.caller, c.ok) for c in matrix.calls if c.service == service)
        print(f"  {service}: {dict(by_caller)}")

    listed = {(c.service, c.route) for c in lists}
    seeded = {(c.service, c.route) for c in lists if c.caller == "citizen A (owner)" and c.ok}
    print(
        f"collections outside /admin/: {len(listed)}, checked with A's items: {len(seeded & CITIZEN_LISTS)}"
    )
    assert CITIZEN_LISTS <= listed, f"collections not in the matrix: {CITIZEN_LISTS - listed}"
    # The admin collections refuse a citizen like every admin route (403 above).
    admin_lists = set(matrix.admin_lists)
    refused_lists = {(c.service, c.route) for c in refusals if c.caller == "citizen B" and c.ok}
    print(f"admin collections refused to citizens: {len(admin_lists & refused_lists)} of {len(admin_lists)}")
    assert admin_lists and admin_lists <= refused_lists

    # A citizen route checked with real ids for each object kind the acceptance names.
    real = {(c.service, c.route) for c in refusals if c.caller == "citizen B" and c.ids == "real"}
    for service, fragment in REAL_REQUIRED:
        assert any(s == service and fragment in r for s, r in real), (
            f"no real foreign id for {service} {fragment}"
        )
    # Every admin route and every citizen id route is in the matrix (so a new one is, too).
    assert admin_routes and len(id_routes) >= len(REAL_REQUIRED)

    leaked = [c for c in refusals if 200 <= c.got < 300]
    assert not leaked, "answered 2xx to a foreign or unprivileged caller:\n" + "\n".join(
        f"{c.service} {c.method} {c.route} {c.caller}: {c.got} {c.detail}" for c in leaked
    )
    failures = matrix.failures
    assert not failures, "\n".join(
        f"{c.service} {c.method} {c.route} {c.caller} ({c.ids} ids): expected {c.expected}, got {c.got} {c.detail}"
        for c in failures
    )
    assert sum(c.ok for c in refusals) == len(refusals)  # 100% refused


# The matrix itself catches an open route -------------------------------------------------------

_router = APIRouter()
_OWNER = uuid.uuid4()


@_router.get("/admin/open")
async def _admin_open() -> dict[str, str]:  # no principal at all: anybody gets in
    return {"ok": "yes"}


@_router.get("/admin/staff")
async def _admin_staff(user: Operator) -> dict[str, str]:
    return {"ok": user.role}


class _Thing(BaseModel):
    id: uuid.UUID
    owner: uuid.UUID


# A's things (seeded) and another citizen's.
_THINGS = [_Thing(id=uuid.uuid4(), owner=_OWNER), _Thing(id=uuid.uuid4(), owner=uuid.uuid4())]


@_router.get("/things", response_model=Page[_Thing])
async def _everybodys_things(user: Citizen) -> Page[_Thing]:  # no filter by owner: a leak
    return Page(items=_THINGS, total=len(_THINGS), limit=20, offset=0)


@_router.get("/my-things", response_model=Page[_Thing])
async def _my_things(user: Citizen, owner: uuid.UUID | None = None) -> Page[_Thing]:
    # Filtered by the caller, whatever the query says (the matrix sets ``owner`` to A's id).
    mine = [t for t in _THINGS if t.owner == user.user_id]
    return Page(items=mine, total=len(mine), limit=20, offset=0)


@_router.get("/things-by-filter", response_model=Page[_Thing])
async def _things_by_filter(user: Citizen, owner: uuid.UUID | None = None) -> Page[_Thing]:
    # Trusts the query's owner over the token: B asking with ?owner=A gets A's things.
    mine = [t for t in _THINGS if t.owner == (owner or user.user_id)]
    return Page(items=mine, total=len(mine), limit=20, offset=0)


@_router.get("/things/{thing_id}")
async def _anybodys_thing(thing_id: uuid.UUID, user: Citizen) -> dict[str, str]:  # no ownership check
    return {"id": str(thing_id)}


@_router.get("/things/{thing_id}/mine")
async def _my_thing(thing_id: uuid.UUID, user: Citizen) -> dict[str, str]:
    if user.user_id != _OWNER:
        raise NotFound("thing_not_found", "Non trovato.")
    return {"id": str(thing_id)}


async def test_the_matrix_catches_an_open_route(make_database, service_env) -> None:  # noqa: ANN001
    from kit.app import create_service_app
    from kit.runtime import ServiceRuntime
    from kit.settings import ServiceSettings

    url = await make_database("authz_selftest")
    settings = ServiceSettings(
        service_name="authzself", api_prefix="/api/authzself", database_url=url, **service_env
    )
    app = create_service_app(
        ServiceRuntime.from_settings(settings), title="t", description="d", routers=[_router]
    )
    issuer = TestIssuer()
    issuer.install(app)
    async with running_service(app) as client:
        matrix = await M.authorization_matrix(
            "selftest", app, client, issuer, owner=_OWNER, owned={"thing_id": str(uuid.uuid4())}
        )
        matrix.extend(await M.list_matrix("selftest", app, client, issuer, owner=_OWNER))
    print("\n" + matrix.table())
    failing = {(c.route, c.caller) for c in matrix.failures}
    assert ("/api/authzself/admin/open", "anonymous") in failing
    assert ("/api/authzself/admin/open", "citizen B") in failing
    assert ("/api/authzself/things/{thing_id}", "citizen B") in failing  # anybody's thing: 200
    assert not any(r == "/api/authzself/admin/staff" for r, _ in failing)
    assert not any(r == "/api/authzself/things/{thing_id}/mine" for r, _ in failing)
    # The collections: one that lists everybody's things, one that trusts a query filter.
    assert ("/api/authzself/things", "citizen B") in failing
    assert ("/api/authzself/things-by-filter", "citizen B ?owner=A") in failing
    assert ("/api/authzself/things-by-filter", "citizen B") not in failing
    assert not any(r == "/api/authzself/my-things" for r, _ in failing)
