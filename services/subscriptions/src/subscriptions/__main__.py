"""python -m subscriptions serve | migrate | seed"""

from __future__ import annotations

import json
from pathlib import Path

from kit.cli import ServiceCli
from kit.db import Database
from kit.errors import DomainError
from kit.settings import ServiceSettings
from kit.uow import unit_of_work
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


cli = ServiceCli(package="subscriptions", settings_factory=Settings, app_factory=create_app, seed=seed_types)

if __name__ == "__main__":
    cli.main()
