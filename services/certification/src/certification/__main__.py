"""python -m certification serve | migrate | seed"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from certification.main import build_runtime, create_app
from certification.service.sectors import drafts_from, seed
from certification.settings import Settings
from kit.cli import ServiceCli
from kit.db import Database
from kit.errors import DomainError
from kit.settings import ServiceSettings
from kit.uow import unit_of_work


def _reasons(refusal: DomainError) -> str:
    return "; ".join(f"{e.field}: {e.message}" for e in refusal.errors) or refusal.message


async def seed_sectors(settings: ServiceSettings) -> None:
    """The sectors of SECTORS_FILE, inserted when their code is missing (never overwritten: an
    admin may have changed them). The example file is refused in production."""
    assert isinstance(settings, Settings)
    path = Path(settings.sectors_file)
    data = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    if data.get("example") and settings.environment == "production":
        print(
            f"certification seed: {path} contiene settori di esempio, non caricati in produzione: "
            "imposta SECTORS_FILE sul file dei settori del Comune "
            "o crea i settori dalle pagine di amministrazione."
        )
        return
    try:
        drafts = drafts_from(data.get("sectors", []))
    except DomainError as refusal:
        raise SystemExit(f"certification seed: {path} non valido: {_reasons(refusal)}") from None
    rt = build_runtime(settings, db=Database(settings.database_url, pool_size=2))
    try:
        async with unit_of_work(rt.db) as session:
            result = await seed(session, rt, drafts)
    finally:
        await rt.db.dispose()
    for code in result.created:
        print(f"certification seed: settore {code} creato")
    for code in result.present:
        print(f"certification seed: settore {code} (già presente)")


cli = ServiceCli(
    package="certification", settings_factory=Settings, app_factory=create_app, seed=seed_sectors
)

if __name__ == "__main__":
    cli.main()
