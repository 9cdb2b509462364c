"""Who may do what: a citizen sees, pays and downloads only their own orders; a checkout is
refused with a clear reason on a paid or expired order and never leads off the portal; the
sandbox is not served in production."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy.engine import make_url

from billing.main import create_app
from billing.settings import Settings
from kit.settings import DevelopmentValuesError


async def test_a_citizen_never_reaches_another_citizens_order(billing) -> None:  # noqa: ANN001
    owner, request_id = await billing.open_order()
    await billing.pay(owner, request_id)
    await billing.order_reaches(owner, request_id, "paid")
    other = billing.citizen(await billing.add_citizen())

    seen = await billing.client.get(billing.url(f"/orders/{request_id}"), headers=other)
    listed = await billing.client.get(
        billing.url("/orders"), params={"request_id": str(request_id)}, headers=other
    )
    paid = await billing.client.post(
        billing.url(f"/orders/{request_id}/checkout"),
        json={"return_url": "https://parking.test/abbonamenti"},
        headers=other,
    )
    receipt = await billing.client.get(billing.url(f"/receipts/{request_id}"), headers=other)

    assert seen.status_code == 404 and seen.json()["code"] == "order_not_found"
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert paid.status_code == 404
    assert receipt.status_code == 404
    # The owner and an operator do get the receipt.
    own = await billing.client.get(billing.url(f"/receipts/{request_id}"), headers=billing.citizen(owner))
    staff = await billing.client.get(billing.url(f"/receipts/{request_id}"), headers=billing.operator())
    assert own.status_code == 200 and staff.status_code == 200
    assert own.content.startswith(b"%PDF")


async def test_a_citizen_lists_their_own_orders(billing) -> None:  # noqa: ANN001
    user_id, first = await billing.open_order()
    _, second = await billing.open_order(user_id)
    await billing.open_order()  # someone else's

    page = await billing.client.get(billing.url("/orders"), headers=billing.citizen(user_id))
    one = await billing.client.get(
        billing.url("/orders"), params={"request_id": str(first)}, headers=billing.citizen(user_id)
    )

    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 2 and {o["request_id"] for o in body["items"]} == {str(first), str(second)}
    assert [o["request_id"] for o in one.json()["items"]] == [str(first)]


async def test_orders_answer_only_citizens(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    assert (await billing.client.get(billing.url(f"/orders/{request_id}"))).status_code == 401
    staff = await billing.client.get(billing.url(f"/orders/{request_id}"), headers=billing.operator())
    assert staff.status_code == 403


async def test_a_checkout_of_a_paid_order_is_refused_with_its_reason(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()
    await billing.pay(user_id, request_id)
    await billing.order_reaches(user_id, request_id, "paid")

    again = await billing.checkout(user_id, request_id)

    assert again.status_code == 409
    assert again.json()["code"] == "order_paid"
    assert "già pagato" in again.json()["detail"]


async def test_a_checkout_after_the_due_date_is_refused_and_closes_the_order(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order(pay_by=date.today() - timedelta(days=2))

    late = await billing.checkout(user_id, request_id)

    assert late.status_code == 409
    assert late.json()["code"] == "order_expired"
    assert "scaduto" in late.json()["detail"]
    order = await billing.order(user_id, request_id)
    assert (order["status"], order["status_label"], order["can_pay"]) == ("expired", "Scaduto", False)
    assert await billing.payments_of(request_id) == []


async def test_a_checkout_never_sends_the_citizen_off_the_portal(billing) -> None:  # noqa: ANN001
    user_id, request_id = await billing.open_order()

    for return_url in (
        "https://evil.example/",
        "https://parking.test@evil.example/",
        "/relativo",
        "javascript:x",
    ):
        refused = await billing.checkout(user_id, request_id, return_url=return_url)
        assert refused.status_code == 422, return_url
        assert refused.json()["errors"][0]["field"] == "return_url"
    assert (await billing.order(user_id, request_id))["status"] == "created"


async def test_a_checkout_of_an_unknown_request_is_not_found(billing) -> None:  # noqa: ANN001
    user_id = await billing.add_citizen()
    missing = await billing.checkout(user_id, uuid.uuid4())
    assert missing.status_code == 404


def _with_password(database_url: str) -> str:
    """The test database's URL with credentials, as production requires (the local server
    trusts any password)."""
    return make_url(database_url).set(password="anything").render_as_string(hide_password=False)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def broker_user(service_env: dict[str, str]) -> Iterator[str | None]:
    """The AMQP URL of a broker user of this test's own, allowed only on this run's events
    exchange and billing's queues (as deploy/compose.yaml allows billing): production refuses
    RabbitMQ's guest. None where no user can be created (no local rabbitmqctl we may run)."""
    parts = urlsplit(service_env["amqp_url"])
    if shutil.which("rabbitmqctl") is None or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        yield None
        return
    user, password = f"test-billing-{uuid.uuid4().hex[:10]}", secrets.token_urlsafe(24)
    exchange = re.escape(service_env["events_exchange"])
    queues = re.escape(service_env["queue_prefix"]) + r".*billing\.events(\..+)?"
    try:
        _rabbitmqctl("add_user", user, password)
    except (OSError, subprocess.SubprocessError):  # not ours to run (no Erlang cookie)
        yield None
        return
    try:
        vhost = parts.path[1:] or "/"
        _rabbitmqctl(
            "set_permissions", "-p", vhost, user,
            f"^({exchange}(\\.dlx)?|{queues})$",
            f"^({exchange}(\\.dlx)?|amq\\.default|{queues})$",
            f"^({exchange}(\\.dlx)?|{queues})$",
        )  # fmt: skip
        netloc = f"{user}:{password}@{parts.hostname}:{parts.port or 5672}"
        yield urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))
    finally:
        _rabbitmqctl("delete_user", user)


async def _sandbox_page(database_url: str, **overrides: object) -> httpx.Response:
    app = create_app(Settings(database_url=database_url, **overrides))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            return await client.get("/api/billing/sandbox/checkout/qualsiasi")
    finally:
        await app.state.runtime.stop()
        await app.state.runtime.db.dispose()


async def test_the_sandbox_is_not_served_in_production_nor_can_be_enabled(billing_url) -> None:  # noqa: ANN001
    production = {
        "environment": "production",
        "provider_notification_secret": secrets.token_urlsafe(40),
        "amqp_url": f"amqp://billing:{secrets.token_urlsafe(16)}@127.0.0.1:5672/",  # never connected
    }

    hidden = await _sandbox_page(_with_password(billing_url), **production)

    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    # The sandbox takes no money: production refuses to start with it, naming the setting.
    with pytest.raises(DevelopmentValuesError, match="SANDBOX_ENABLED=True is for development only"):
        Settings(database_url=_with_password(billing_url), **production, sandbox_enabled=True)


def test_production_refuses_the_development_notification_secret() -> None:
    with pytest.raises(ValueError, match="PROVIDER_NOTIFICATION_SECRET"):
        Settings(environment="production")


async def test_without_a_payment_provider_a_checkout_is_a_503_to_retry(
    broker_user: str | None,  # first: removed after the app that connects as it has stopped
    make_billing,  # noqa: ANN001
    make_database,  # noqa: ANN001
) -> None:
    # Production without the sandbox, and no real provider adapter configured.
    production = {
        "environment": "production",
        "provider_notification_secret": secrets.token_urlsafe(40),
        "database_url": _with_password(await make_database("billing_prod", migrate="billing")),
    }
    if broker_user is None:
        with pytest.raises(DevelopmentValuesError, match="AMQP_URL uses RabbitMQ's public guest"):
            await make_billing(**production)
        pytest.skip("no broker user of its own could be created (rabbitmqctl): production refuses guest")
    billing = await make_billing(**production, amqp_url=broker_user)
    user_id, request_id = await billing.open_order()

    refused = await billing.checkout(user_id, request_id)

    assert refused.status_code == 503
    assert refused.json()["code"] == "payment_provider_unavailable"
    assert refused.headers["retry-after"] == "60"
    assert (await billing.order(user_id, request_id))["status"] == "created"
