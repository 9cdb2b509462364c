"""The command line: development seed and staff accounts."""

from __future__ import annotations

import argparse
import uuid

import pytest

from identity.__main__ import create_user, seed
from identity.repository import account_by_email


async def _role_of(identity, email: str) -> str | None:  # noqa: ANN001
    async with identity.db.session() as session:
        account = await account_by_email(session, email)
    return account.role if account else None


async def test_seed_creates_operator_and_admin_once_in_development(identity, capsys) -> None:  # noqa: ANN001
    development = identity.settings.model_copy(update={"environment": "development"})
    await seed(development)
    await seed(development)
    out = capsys.readouterr().out
    assert "operatore@comune.caserta.it password Caserta2026!" in out
    assert "admin@comune.caserta.it (già presente)" in out
    assert await _role_of(identity, "operatore@comune.caserta.it") == "operator"
    assert await _role_of(identity, "admin@comune.caserta.it") == "admin"
    tokens = await identity.tokens("admin@comune.caserta.it", "Caserta2026!")
    assert tokens["role"] == "admin"


async def test_seed_does_nothing_outside_development(identity, capsys) -> None:  # noqa: ANN001
    await seed(identity.settings.model_copy(update={"environment": "production"}))
    assert "nessun account di prova" in capsys.readouterr().out


async def test_create_user_makes_a_staff_account_and_refuses_weak_passwords(identity, capsys) -> None:  # noqa: ANN001
    email = f"nuovo.operatore.{uuid.uuid4().hex[:6]}@comune.caserta.it"
    args = argparse.Namespace(
        role="operator", email=email, password="Reggia-1752", first_name=None, last_name=None
    )
    await create_user(identity.settings, args)
    assert f"Creato operator {email}" in capsys.readouterr().out
    assert (await identity.tokens(email, "Reggia-1752"))["role"] == "operator"
    with pytest.raises(SystemExit, match="già in uso"):
        await create_user(identity.settings, args)
    weak = argparse.Namespace(
        role="admin", email=f"x{email}", password="password1", first_name=None, last_name=None
    )
    with pytest.raises(SystemExit, match="password"):
        await create_user(identity.settings, weak)
    assert await _role_of(identity, f"x{email}") is None


async def test_rotate_signing_key_accepts_immediately_and_stores_a_new_key(
    identity,  # noqa: ANN001
    make_database,  # noqa: ANN001
    capsys,  # noqa: ANN001
) -> None:
    from sqlalchemy import func, select

    from identity.__main__ import cli, rotate_signing_key
    from identity.models import SigningKey
    from kit.db import Database

    parser = argparse.ArgumentParser()
    cli.commands["rotate-signing-key"].arguments(parser)
    assert parser.parse_args(["--immediately"]).immediately is True
    # Its own database: the other tests' replicas must not see this rotation.
    url = await make_database("identity", migrate="identity")
    await rotate_signing_key(
        identity.settings.model_copy(update={"database_url": url}), parser.parse_args([])
    )
    assert "Nuova chiave di firma" in capsys.readouterr().out
    db = Database(url)
    try:
        async with db.session() as session:
            # The new key, and the first one that signs until it activates.
            assert (await session.exec(select(func.count()).select_from(SigningKey))).one()[0] == 2
    finally:
        await db.dispose()
