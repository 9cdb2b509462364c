"""python -m identity serve | migrate | seed | create-user | rotate-signing-key"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys

from identity.main import create_app
from identity.runtime import Runtime
from identity.service.accounts import AccountRefused, create_staff
from identity.service.common import account_by_email
from identity.settings import Settings
from kit.cli import Command, ServiceCli
from kit.db import Database
from kit.settings import ServiceSettings

SEED_ACCOUNTS = (
    ("operatore@comune.caserta.it", "operator", "Operatore", "Comune di Caserta"),
    ("admin@comune.caserta.it", "admin", "Amministratore", "Comune di Caserta"),
)


def _runtime(settings: ServiceSettings) -> tuple[Runtime, Database]:
    assert isinstance(settings, Settings)
    runtime = Runtime(settings)
    db = Database(settings.database_url, pool_size=2)
    runtime.attach(db)
    return runtime, db


async def seed(settings: ServiceSettings) -> None:
    """Development accounts, created once; never in any other environment."""
    if settings.environment != "development":
        print(f"identity seed: ambiente {settings.environment}, nessun account di prova creato.")
        return
    assert isinstance(settings, Settings)
    runtime, db = _runtime(settings)
    password = settings.seed_password.get_secret_value()
    try:
        for email, role, first_name, last_name in SEED_ACCOUNTS:
            async with db.session() as session:
                if await account_by_email(session, email) is not None:
                    print(f"identity seed: {role:<8} {email} (già presente)")
                    continue
                await create_staff(
                    session,
                    runtime,
                    email=email,
                    role=role,
                    password=password,
                    first_name=first_name,
                    last_name=last_name,
                )
                print(f"identity seed: {role:<8} {email} password {password}")
    finally:
        await db.dispose()


def _create_user_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", choices=["operator", "admin"], required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", help="se omessa viene chiesta (o generata e stampata, senza terminale)")
    parser.add_argument("--first-name")
    parser.add_argument("--last-name")


def _password(given: str | None) -> tuple[str, bool]:
    if given:
        return given, False
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Conferma password: "):
            raise SystemExit("Le password non coincidono.")
        return first, False
    return secrets.token_urlsafe(12) + "7a", True


async def create_user(settings: ServiceSettings, args: argparse.Namespace) -> None:
    runtime, db = _runtime(settings)
    password, generated = _password(args.password)
    try:
        async with db.session() as session:
            account = await create_staff(
                session,
                runtime,
                email=args.email,
                role=args.role,
                password=password,
                first_name=args.first_name,
                last_name=args.last_name,
            )
    except AccountRefused as exc:
        raise SystemExit(f"Account non creato: {exc}") from None
    finally:
        await db.dispose()
    print(f"Creato {account.role} {account.email} (id {account.id})")
    if generated:
        print(f"Password generata: {password}")


def _rotate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--immediately",
        action="store_true",
        help="chiave compromessa: la nuova firma subito e le altre sono revocate (tutti rifanno l'accesso)",
    )


async def rotate_signing_key(settings: ServiceSettings, args: argparse.Namespace) -> None:
    runtime, db = _runtime(settings)
    try:
        row = await runtime.keys.rotate(db, immediately=args.immediately)
    finally:
        await db.dispose()
    print(f"Nuova chiave di firma {row.kid}: pubblicata ora, firma dal {row.activates_at.isoformat()}")


cli = ServiceCli(
    package="identity",
    settings_factory=Settings,
    app_factory=create_app,
    seed=seed,
    commands={
        "create-user": Command(
            "crea un account operatore o amministratore", create_user, _create_user_arguments
        ),
        "rotate-signing-key": Command(
            "sostituisce la chiave che firma i token di accesso", rotate_signing_key
        ),
    },
)

if __name__ == "__main__":
    cli.main()
