"""The sectors catalogue: admins manage it, citizens see the active sectors, the seed loads the
example file once."""

from __future__ import annotations

import json
import secrets
import uuid

from sqlalchemy.engine import make_url

from certification.__main__ import seed_sectors
from certification.main import build_runtime
from certification.models import Sector
from certification.settings import EXAMPLE_SECTORS, Settings
from kit.uow import unit_of_work


def new_code() -> str:
    return f"T{uuid.uuid4().hex[:6].upper()}"


def sector_body(code: str, **overrides) -> dict:  # noqa: ANN003
    return {
        "code": code,
        "name": "Settore di prova – Via Tescione",
        "description": "Vie a nord della stazione.",
        "streets": ["Via Tescione", "Piazza Pitesti"],
        **overrides,
    }


async def test_an_admin_creates_updates_deactivates_and_reactivates_a_sector(service) -> None:  # noqa: ANN001
    admin = service.headers("admin")
    citizen = service.citizen()
    code = new_code()
    created = await service.client.post(
        service.url("/admin/sectors"),
        json=sector_body(code.lower(), streets=[" Via  Tescione ", "P.zza Pitesti"]),
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["code"] == code and created.json()["active"] is True
    assert created.json()["streets"] == ["Via Tescione", "P.zza Pitesti"]

    listed = await service.client.get(service.url("/sectors"), params={"limit": 100}, headers=citizen.headers)
    assert code in {s["code"] for s in listed.json()["items"]}

    updated = await service.client.patch(
        service.url(f"/admin/sectors/{code}"),
        json={"name": "Settore T – Nord", "streets": ["Via Tescione"]},
        headers=admin,
    )
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["streets"]) == ("Settore T – Nord", ["Via Tescione"])
    assert updated.json()["description"] == "Vie a nord della stazione."  # not sent, not changed

    deactivated = await service.client.post(service.url(f"/admin/sectors/{code}/deactivate"), headers=admin)
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    listed = await service.client.get(service.url("/sectors"), params={"limit": 100}, headers=citizen.headers)
    assert code not in {s["code"] for s in listed.json()["items"]}
    refused = await service.submit(citizen, code)
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "sector_unavailable"
    inactive = await service.client.get(
        service.url("/admin/sectors"), params={"active": "false", "limit": 100}, headers=admin
    )
    assert code in {s["code"] for s in inactive.json()["items"]}

    reactivated = await service.client.post(service.url(f"/admin/sectors/{code}/activate"), headers=admin)
    assert reactivated.json()["active"] is True
    assert (await service.submit(citizen, code)).status_code == 201
    fetched = await service.client.get(service.url(f"/admin/sectors/{code.lower()}"), headers=admin)
    assert fetched.status_code == 200 and fetched.json()["name"] == "Settore T – Nord"


async def test_a_whole_sector_can_be_put_back_with_its_activation(service) -> None:  # noqa: ANN001
    admin = service.headers("admin")
    code = new_code()
    await service.client.post(service.url("/admin/sectors"), json=sector_body(code), headers=admin)
    body = {"name": "Settore T", "description": "", "streets": ["Via Tescione"], "active": False}
    replaced = await service.client.put(service.url(f"/admin/sectors/{code}"), json=body, headers=admin)
    assert replaced.status_code == 200
    assert {k: replaced.json()[k] for k in body} == body


async def test_a_sector_breaking_the_rules_is_refused_with_italian_messages_per_field(service) -> None:  # noqa: ANN001
    admin = service.headers("admin")
    response = await service.client.post(
        service.url("/admin/sectors"),
        json=sector_body("bad code!", name="  ", streets=["Via Roma", "V. Roma", "Via" + "x" * 300]),
        headers=admin,
    )
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"code", "name", "streets.1", "streets.2"}
    assert errors["streets.1"]["message"] == "La via «V. Roma» è già elencata come «Via Roma»."
    assert errors["name"]["message"] == "Inserisci il nome del settore."
    unknown_field = await service.client.patch(
        service.url("/admin/sectors/S1"), json={"code": "S9"}, headers=admin
    )
    assert unknown_field.status_code == 422
    empty_streets = await service.client.patch(
        service.url("/admin/sectors/S1"), json={"streets": []}, headers=admin
    )
    assert empty_streets.status_code == 422 and empty_streets.json()["errors"][0]["field"] == "streets"


async def test_a_sector_code_is_unique(service) -> None:  # noqa: ANN001
    admin = service.headers("admin")
    code = new_code()
    assert (
        await service.client.post(service.url("/admin/sectors"), json=sector_body(code), headers=admin)
    ).status_code == 201
    again = await service.client.post(
        service.url("/admin/sectors"), json=sector_body(code.lower()), headers=admin
    )
    assert again.status_code == 409 and again.json()["code"] == "sector_code_in_use"


async def test_an_unknown_sector_is_not_found(service) -> None:  # noqa: ANN001
    admin = service.headers("admin")
    for path in ("/admin/sectors/NOPE", "/admin/sectors/a%20b"):
        assert (await service.client.get(service.url(path), headers=admin)).status_code == 404
    assert (
        await service.client.post(service.url("/admin/sectors/NOPE/deactivate"), headers=admin)
    ).status_code == 404
    assert (
        await service.client.patch(service.url("/admin/sectors/NOPE"), json={"name": "X"}, headers=admin)
    ).status_code == 404


async def test_only_admins_manage_sectors(service) -> None:  # noqa: ANN001
    code = new_code()
    routes = [
        ("GET", "/admin/sectors", None),
        ("POST", "/admin/sectors", sector_body(code)),
        ("GET", "/admin/sectors/S1", None),
        ("PATCH", "/admin/sectors/S1", {"name": "Preso"}),
        ("POST", "/admin/sectors/S1/deactivate", None),
        ("POST", "/admin/sectors/S1/activate", None),
    ]
    for role in ("citizen", "operator"):
        for method, path, body in routes:
            response = await service.client.request(
                method, service.url(path), json=body, headers=service.headers(role)
            )
            assert response.status_code == 403, (role, path)
    for method, path, body in routes:
        assert (await service.client.request(method, service.url(path), json=body)).status_code == 401
    s1 = await service.client.get(service.url("/admin/sectors/S1"), headers=service.headers("admin"))
    assert s1.json()["active"] is True and s1.json()["name"] != "Preso"


async def test_operators_see_the_active_sectors_too(service) -> None:  # noqa: ANN001
    response = await service.client.get(service.url("/sectors"), headers=service.headers("operator"))
    assert response.status_code == 200 and response.json()["total"] >= 4


def test_the_example_sectors_file_is_marked_as_example_data() -> None:
    data = json.loads(EXAMPLE_SECTORS.read_text(encoding="utf-8"))
    assert data["example"] is True and "ESEMPIO" in data["note"]
    streets = {street for sector in data["sectors"] for street in sector["streets"]}
    assert {"Corso Trieste", "Via Mazzini", "Piazza Vanvitelli", "Via San Carlo"} <= streets


async def test_the_seed_loads_the_sectors_once_and_never_overwrites_an_admins_change(
    make_database,  # noqa: ANN001
    service_env: dict[str, str],
    capsys,  # noqa: ANN001
) -> None:
    url = await make_database("certification_seed", migrate="certification")
    settings = Settings(database_url=url, **service_env)
    await seed_sectors(settings)
    assert capsys.readouterr().out.count("creato") == 4

    rt = build_runtime(settings)
    try:
        async with unit_of_work(rt.db) as session:
            s1 = await session.get(Sector, "S1")
            s1.name = "Rinominato dall'amministratore"
        await seed_sectors(settings)
        assert capsys.readouterr().out.count("già presente") == 4
        async with rt.db.session() as session:
            assert (await session.get(Sector, "S1")).name == "Rinominato dall'amministratore"
    finally:
        await rt.db.dispose()


async def test_the_seed_refuses_example_data_in_production(make_database, service_env, capsys) -> None:  # noqa: ANN001
    url = await make_database("certification_seed_prod", migrate="certification")
    # As production sets them: credentials in both URLs (any password connects under the
    # local server's trust), a broker user of its own (never connected to here).
    production = {
        **service_env,
        "environment": "production",
        "database_url": make_url(url).set(password="anything").render_as_string(hide_password=False),
        "amqp_url": f"amqp://certification:{secrets.token_urlsafe(16)}@127.0.0.1:5672/",
    }
    await seed_sectors(Settings(**production))
    assert "non caricati in produzione" in capsys.readouterr().out
