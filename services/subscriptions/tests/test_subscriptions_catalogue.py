"""The catalogue of subscription types: admins manage it (validation in Italian, exact money),
the example seed loads once, and what citizens are offered follows it."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
from sqlalchemy.engine import make_url

from subscriptions.__main__ import seed_types
from subscriptions.settings import Settings

TYPE = {
    "code": "res-trimestrale",
    "name": "Residenti – trimestrale",
    "description": "Tre mesi nel proprio settore.",
    "sector_codes": ["s1", "S2"],
    "duration_months": 3,
    "price_cents": 2000,
}


@pytest.fixture
async def catalogue(make_subs):  # noqa: ANN001, ANN201
    """An app of its own: these tests change the catalogue the others rely on."""
    return await make_subs()


async def test_an_admin_creates_a_type_with_its_price_split_exactly(catalogue) -> None:  # noqa: ANN001
    response = await catalogue.client.post(
        catalogue.url("/admin/types"), json=TYPE, headers=catalogue.admin()
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["code"], body["sector_codes"], body["all_sectors"], body["active"]) == (
        "RES-TRIMESTRALE",
        ["S1", "S2"],
        False,
        True,
    )
    assert (body["price_cents"], body["net_cents"], body["vat_cents"], body["vat_rate"]) == (
        2000,
        1639,
        361,
        "22.00",
    )
    assert body["price_label"] == "€ 20,00"
    listed = await catalogue.client.get(catalogue.url("/admin/types"), headers=catalogue.admin())
    assert "RES-TRIMESTRALE" in [t["code"] for t in listed.json()["items"]]
    one = await catalogue.client.get(catalogue.url("/admin/types/res-trimestrale"), headers=catalogue.admin())
    assert one.json() == body


async def test_an_admin_replaces_a_type_and_new_requests_pay_the_new_price(catalogue) -> None:  # noqa: ANN001
    citizen, certification, plate = await catalogue.resident("S1")
    before = await catalogue.submitted(citizen, certification, plate, "RES-SEMESTRALE")
    new = {
        "name": "Residenti – semestrale",
        "description": "",
        "sector_codes": ["S1"],
        "all_sectors": False,
        "duration_months": 6,
        "price_cents": 4000,
        "vat_rate": "10",
        "renewable": False,
        "electric_only": False,
        "active": True,
    }
    response = await catalogue.client.put(
        catalogue.url("/admin/types/RES-SEMESTRALE"), json=new, headers=catalogue.admin()
    )
    assert response.status_code == 200, response.text
    assert (response.json()["price_cents"], response.json()["vat_rate"], response.json()["net_cents"]) == (
        4000,
        "10.00",
        3636,
    )
    # The request already sent keeps its price; a new one pays the new price.
    assert (await catalogue.stored_request(before["id"])).amount_cents == 3500
    other = await catalogue.plate(citizen)
    after = await catalogue.submitted(citizen, certification, other, "RES-SEMESTRALE")
    assert (after["amount_cents"], after["vat_rate"], after["vat_cents"]) == (4000, "10.00", 364)
    # An incomplete replacement is refused, naming what is missing.
    partial = await catalogue.client.put(
        catalogue.url("/admin/types/RES-SEMESTRALE"), json={"price_cents": 1}, headers=catalogue.admin()
    )
    assert partial.status_code == 422
    assert {"name", "duration_months", "active"} <= {e["field"] for e in partial.json()["errors"]}


async def test_a_deactivated_type_is_no_longer_offered(catalogue) -> None:  # noqa: ANN001
    current = (
        await catalogue.client.get(catalogue.url("/admin/types/RES-ANNUALE"), headers=catalogue.admin())
    ).json()
    fields = (
        "name",
        "description",
        "sector_codes",
        "all_sectors",
        "duration_months",
        "price_cents",
        "vat_rate",
    )
    body = {k: current[k] for k in fields} | {"renewable": True, "electric_only": False, "active": False}
    assert (
        await catalogue.client.put(
            catalogue.url("/admin/types/RES-ANNUALE"), json=body, headers=catalogue.admin()
        )
    ).status_code == 200
    citizen, certification, plate = await catalogue.resident()
    offered = await catalogue.client.get(catalogue.url("/types"), headers=citizen.headers)
    assert "RES-ANNUALE" not in [t["code"] for t in offered.json()["items"]]
    refused = await catalogue.request(citizen, certification, plate, "RES-ANNUALE")
    assert refused.status_code == 422 and refused.json()["code"] == "subscription_type_not_found"
    inactive = await catalogue.client.get(
        catalogue.url("/admin/types"), params={"active": "false"}, headers=catalogue.admin()
    )
    assert [t["code"] for t in inactive.json()["items"]] == ["RES-ANNUALE"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"code": "?"}, "code", "code_invalid"),
        ({"name": "ab"}, "name", "name_invalid"),
        ({"sector_codes": []}, "sector_codes", "sectors_required"),
        ({"sector_codes": ["S 1"]}, "sector_codes", "sector_code_invalid"),
        ({"all_sectors": True}, "sector_codes", "sectors_with_all_sectors"),
        ({"duration_months": 0}, "duration_months", "duration_invalid"),
        ({"price_cents": -100}, "price_cents", "price_invalid"),
        ({"price_cents": 10**18}, "price_cents", "price_invalid"),
        ({"vat_rate": "122"}, "vat_rate", "vat_rate_invalid"),
        ({"vat_rate": "22.123"}, "vat_rate", "vat_rate_invalid"),
    ],
)
async def test_a_type_breaking_a_rule_is_refused_in_italian(
    catalogue, change: dict, field: str, code: str
) -> None:  # noqa: ANN001
    response = await catalogue.client.post(
        catalogue.url("/admin/types"), json=TYPE | change, headers=catalogue.admin()
    )
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize("price", [20.5, 20.0, "2000", None, True])
async def test_a_price_that_is_not_an_integer_of_cents_is_refused_never_rounded(catalogue, price) -> None:  # noqa: ANN001
    response = await catalogue.client.post(
        catalogue.url("/admin/types"), json=TYPE | {"price_cents": price}, headers=catalogue.admin()
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["price_cents"]


async def test_a_type_code_is_taken_once(catalogue) -> None:  # noqa: ANN001
    assert (
        await catalogue.client.post(catalogue.url("/admin/types"), json=TYPE, headers=catalogue.admin())
    ).status_code == 201
    again = await catalogue.client.post(
        catalogue.url("/admin/types"), json=TYPE | {"code": "RES-TRIMESTRALE"}, headers=catalogue.admin()
    )
    assert again.status_code == 409 and again.json()["code"] == "subscription_type_code_in_use"
    unknown = await catalogue.client.get(catalogue.url("/admin/types/NON-ESISTE"), headers=catalogue.admin())
    assert unknown.status_code == 404 and unknown.json()["code"] == "subscription_type_not_found"
    # Refused before or by the route (kit's input guard, or not found): never a 500.
    nul = await catalogue.client.get(catalogue.url("/admin/types/AB%00CD"), headers=catalogue.admin())
    assert nul.status_code in (404, 422)


async def test_the_catalogue_is_for_admins_only(catalogue) -> None:  # noqa: ANN001
    for headers in (catalogue.operator(), catalogue.citizen().headers):
        assert (await catalogue.client.get(catalogue.url("/admin/types"), headers=headers)).status_code == 403
        response = await catalogue.client.post(catalogue.url("/admin/types"), json=TYPE, headers=headers)
        assert response.status_code == 403


async def test_two_electric_types_make_the_citizen_choose(catalogue) -> None:  # noqa: ANN001
    second = TYPE | {
        "code": "ELETTRICA-SEMESTRALE",
        "name": "Auto elettrica – semestrale",
        "sector_codes": [],
        "all_sectors": True,
        "electric_only": True,
        "price_cents": 0,
    }
    assert (
        await catalogue.client.post(catalogue.url("/admin/types"), json=second, headers=catalogue.admin())
    ).status_code == 201
    citizen = catalogue.citizen()
    plate = await catalogue.plate(citizen, electric=True)
    url = catalogue.url("/requests/electric")
    ambiguous = await catalogue.client.post(url, json={"plate_id": str(plate)}, headers=citizen.headers)
    assert ambiguous.status_code == 422 and ambiguous.json()["code"] == "electric_type_required"
    chosen = await catalogue.client.post(
        url,
        json={"plate_id": str(plate), "subscription_type_code": "elettrica-semestrale"},
        headers=citizen.headers,
    )
    assert chosen.status_code == 201 and chosen.json()["subscription_type_code"] == "ELETTRICA-SEMESTRALE"


async def test_an_electric_type_for_some_sectors_needs_a_certification(make_subs) -> None:  # noqa: ANN001
    subs = await make_subs(seed=False)
    body = TYPE | {"code": "ELETTRICA-CENTRO", "name": "Auto elettrica – centro", "electric_only": True}
    assert (
        await subs.client.post(subs.url("/admin/types"), json=body, headers=subs.admin())
    ).status_code == 201
    citizen = subs.citizen()
    plate = await subs.plate(citizen, electric=True)
    response = await subs.client.post(
        subs.url("/requests/electric"), json={"plate_id": str(plate)}, headers=citizen.headers
    )
    assert response.status_code == 422 and response.json()["code"] == "electric_type_needs_certification"
    certification = await subs.certification(citizen, "S2")
    assert (await subs.request(citizen, certification, plate, "ELETTRICA-CENTRO")).status_code == 201


async def test_without_an_electric_type_the_electric_route_says_so(make_subs) -> None:  # noqa: ANN001
    subs = await make_subs(seed=False)
    citizen = subs.citizen()
    plate = await subs.plate(citizen, electric=True)
    response = await subs.client.post(
        subs.url("/requests/electric"), json={"plate_id": str(plate)}, headers=citizen.headers
    )
    assert response.status_code == 422 and response.json()["code"] == "electric_type_unavailable"


async def test_the_example_seed_loads_once_and_never_overwrites(make_database, capsys) -> None:  # noqa: ANN001
    from subscriptions.main import build_runtime
    from subscriptions.repository import subscription_type

    url = await make_database("subs_seed", migrate="subscriptions")
    settings = Settings(database_url=url, environment="development")
    await seed_types(settings)
    first = capsys.readouterr().out
    assert "tipologia RES-ANNUALE creata" in first and "tipologia ELETTRICA-ANNUALE creata" in first
    rt = build_runtime(settings)
    try:
        async with rt.db.session() as session:
            annual = await subscription_type(session, "RES-ANNUALE")
            annual.price_cents = 6500
            session.add(annual)
            await session.commit()
        await seed_types(settings)
        assert "tipologia RES-ANNUALE (già presente)" in capsys.readouterr().out
        async with rt.db.session() as session:
            annual = await subscription_type(session, "RES-ANNUALE")
            semester = await subscription_type(session, "RES-SEMESTRALE")
            electric = await subscription_type(session, "ELETTRICA-ANNUALE")
        assert annual.price_cents == 6500
        assert (semester.duration_months, semester.price_cents, semester.sector_codes) == (
            6,
            3500,
            ["S1", "S2", "S3", "S4"],
        )
        assert (electric.price_cents, electric.all_sectors, electric.electric_only) == (0, True, True)
        assert electric.vat_rate == Decimal("22.00")
    finally:
        await rt.db.dispose()


async def test_the_example_seed_is_not_loaded_in_production(make_database, capsys) -> None:  # noqa: ANN001
    url = await make_database("subs_seed_prod", migrate="subscriptions")
    # As production sets them: credentials in both URLs (any password connects under the
    # local server's trust), a broker user of its own (never connected to here).
    settings = Settings(
        database_url=make_url(url).set(password="anything").render_as_string(hide_password=False),
        amqp_url=f"amqp://subscriptions:{secrets.token_urlsafe(16)}@127.0.0.1:5672/",
        environment="production",
        ticket_keys_secret="s" * 40,
    )
    await seed_types(settings)
    assert "non caricate in produzione" in capsys.readouterr().out
