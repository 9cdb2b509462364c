"""python -m subscriptions serve | migrate | seed | rotate-ticket-key | verify-ticket"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from kit.cli import Command, ServiceCli
from kit.clock import utcnow
from kit.db import Database
from kit.errors import DomainError
from kit.settings import ServiceSettings
from kit.uow import unit_of_work
from subscriptions.domain.periods import local_date
from subscriptions.domain.tickets import TicketInvalid, keys_from_document, validity_verdict, verify_ticket
from subscriptions.main import build_runtime, create_app
from subscriptions.service.catalogue import drafts_from, seed
from subscriptions.settings import Settings


def _reasons(refusal: DomainError) -> str:
    return "; ".join(f"{e.field}: {e.message}" for e in refusal.errors) or refusal.message


def _read(path: Path) -> dict:
    """The data file (small, read once at the command line's start)."""
    return json.loads(path.read_text(encoding="utf-8"))


async def seed_types(settings: ServiceSettings) -> None:
    """The subscription types of SUBSCRIPTION_TYPES_FILE, inserted when their code is missing
    (never overwritten: an admin may have changed a price). The example file is refused in
    production."""
    assert isinstance(settings, Settings)
    path = Path(settings.subscription_types_file)
    data = _read(path)
    if data.get("example") and settings.environment == "production":
        print(
            f"subscriptions seed: {path} contiene tipologie di esempio, non caricate in produzione: "
            "imposta SUBSCRIPTION_TYPES_FILE sul file delle tariffe del Comune o crea le tipologie "
            "dalle pagine di amministrazione."
        )
        return
    try:
        drafts = drafts_from(data.get("subscription_types", []), settings.default_vat_rate)
    except DomainError as refusal:
        raise SystemExit(f"subscriptions seed: {path} non valido: {_reasons(refusal)}") from None
    except (TypeError, ValueError) as exc:
        raise SystemExit(f"subscriptions seed: {path} non valido: {exc}") from None
    rt = build_runtime(settings, db=Database(settings.database_url, pool_size=2))
    try:
        async with unit_of_work(rt.db) as session:
            result = await seed(session, rt, drafts)
    finally:
        await rt.db.dispose()
    for code in result.created:
        print(f"subscriptions seed: tipologia {code} creata")
    for code in result.present:
        print(f"subscriptions seed: tipologia {code} (già presente)")


def _rotate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--immediately",
        action="store_true",
        help="chiave compromessa: la nuova firma subito e le altre sono revocate "
        "(i contrassegni già stampati vanno scaricati di nuovo)",
    )


async def rotate_ticket_key(settings: ServiceSettings, args: argparse.Namespace) -> None:
    assert isinstance(settings, Settings)
    rt = build_runtime(settings, db=Database(settings.database_url, pool_size=2))
    try:
        # The keys own their transaction (subscriptions.ticket_keys): committed before it returns.
        row = await rt.ticket_keys.rotate(rt.db, immediately=args.immediately)
    finally:
        await rt.db.dispose()
    since = row.activates_at.isoformat()
    print(f"Nuova chiave dei contrassegni {row.kid}: pubblicata ora, firma dal {since}")


def _verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("token", help="il testo del codice QR del contrassegno")
    parser.add_argument(
        "--keys", required=True, type=Path, help="il documento delle chiavi pubbliche (ticket-keys.json)"
    )
    parser.add_argument(
        "--at", type=date.fromisoformat, default=None, help="il giorno della verifica, AAAA-MM-GG (oggi)"
    )


def verify_offline(token: str, keys_file: Path, at: date | None) -> tuple[bool, list[str]]:
    """What a device does with a ticket's QR code and the published keys alone: whether the
    ticket is valid on ``at`` (today in Caserta by default), and the lines it shows."""
    try:
        keys = keys_from_document(_read(keys_file))
    except (OSError, ValueError) as exc:
        print(f"verify-ticket: chiavi non leggibili da {keys_file}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        claims = verify_ticket(token, keys).claims
    except TicketInvalid as refusal:
        return False, [f"Esito: Contrassegno non valido: {refusal.message}"]
    day = at or local_date(utcnow())
    verdict = validity_verdict(claims.valid_from, claims.valid_until, day)
    return verdict.valid, [
        f"Targa: {claims.plate}",
        f"Settore: {claims.sector_label}",
        f"Validità: {claims.period_label}",
        f"Contrassegno: {claims.serial}",
        f"Esito al {day.strftime('%d/%m/%Y')}: {verdict.label}",
    ]


async def verify_ticket_command(settings: ServiceSettings, args: argparse.Namespace) -> None:
    valid, lines = verify_offline(args.token, args.keys, args.at)
    print("\n".join(lines))
    raise SystemExit(0 if valid else 1)


cli = ServiceCli(
    package="subscriptions",
    settings_factory=Settings,
    app_factory=create_app,
    seed=seed_types,
    commands={
        "rotate-ticket-key": Command(
            "sostituisce la chiave che firma i contrassegni", rotate_ticket_key, _rotate_arguments
        ),
        "verify-ticket": Command(
            "verifica un contrassegno senza connessione, con le sole chiavi pubbliche (uscita 0: valido)",
            verify_ticket_command,
            _verify_arguments,
        ),
    },
)

if __name__ == "__main__":
    cli.main()
