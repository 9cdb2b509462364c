"""python -m identity serve | migrate | seed | create-user | rotate-signing-key"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys

from identity.main import build_runtime, create_app
from identity.repository import account_by_email
from identity.runtime import Runtime
from identity.service.accounts import create_staff
from identity.settings import Settings
from kit.cli import Command, ServiceCli
from kit.db import Database
from kit.errors import DomainError
from kit.settings import ServiceSettings
from kit.uow import unit_of_work

SEED_ACCOUNTS = (
    ("operatore@comune.caserta.it", "operator", "Operatore", "Comune di Caserta"),
    ("admin@comune.caserta.it", "admin", "Amministratore", "Comune di Caserta"),
)


def _runtime(settings: ServiceSettings) -> Runtime:
    assert isinstance(settings, Settings)
    return build_runtime(settings, db=Database(settings.database_url, pool_size=2))


def _reasons(refusal: DomainError) -> str:
    return "; ".join(f"{e.field}: {e.message}" for e in refusal.errors) or refusal.message


async def seed(settings: ServiceSettings) -> None:
    """Development accounts, created once; never in any other environment."""
    if settings.environment != "development":
        print(f"identity seed: ambiente {settings.environment}, nessun account di prova creato.")
        return
    assert isinstance(settings, Settings)
    rt = _runtime(settings)
    password = settings.seed_password.get_secret_value()
    try:
        for email, role, first_name, last_name in SEED_ACCOUNTS:
            async with unit_of_work(rt.db) as session:
                exists = await account_by_email(session, email) is not None
                if not exists:
                    await create_staff(
                        session,
                        rt,
                        email=email,
                        role=role,
                        password=password,
                        first_name=first_name,
                        last_name=last_name,
                    )
            if exists:
                print(f"identity seed: {role:<8} {email} (già presente)")
            else:
                print(f"identity seed: {role:<8} {email} password {password}")
    finally:
        await rt.db.dispose()


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
    rt = _runtime(settings)
    password, generated = _password(args.password)
    try:
        async with unit_of_work(rt.db) as session:
            account = await create_staff(
                session,
                rt,
                email=args.email,
                role=args.role,
                password=password,
                first_name=args.first_name,
                last_name=args.last_name,
            )
    except DomainError as refusal:
        raise SystemExit(f"Account non creato: {_reasons(refusal)}") from None
    finally:
        await rt.db.dispose()
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
    rt = _runtime(settings)
    try:
        # The signing keys own their transaction (identity.tokens): committed before reloading.
        row = await rt.keys.rotate(rt.db, immediately=args.immediately)
    finally:
        await rt.db.dispose()
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
            "sostituisce la chiave che firma i token di accesso", rotate_signing_key, _rotate_arguments
        ),
    },
)

if __name__ == "__main__":
    cli.main()
