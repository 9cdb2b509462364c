"""The command line every service shares: ``python -m <service> serve|migrate|seed|...``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from kit.db import ensure_database
from kit.dlq import add_dlq_arguments, run_dlq
from kit.logging import configure_logging
from kit.migrations import upgrade
from kit.settings import ServiceSettings, load_or_refuse


@dataclass
class Command:
    help: str
    run: Callable[[ServiceSettings, argparse.Namespace], Awaitable[None]]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda _: None


@dataclass
class ServiceCli:
    package: str
    settings_factory: Callable[[], ServiceSettings]
    app_factory: Callable[[ServiceSettings], FastAPI]
    seed: Callable[[ServiceSettings], Awaitable[None]] | None = None
    commands: dict[str, Command] = field(default_factory=dict)

    def main(self, argv: list[str] | None = None) -> None:
        parser = argparse.ArgumentParser(prog=f"python -m {self.package}")
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("serve", help="avvia il servizio HTTP, il relay dell'outbox e il consumer")
        sub.add_parser("migrate", help="crea il database se manca e applica le migrazioni")
        sub.add_parser("seed", help="carica i dati iniziali (idempotente)")
        add_dlq_arguments(sub.add_parser("dlq", help="elenca o rimette in coda gli eventi finiti nella DLQ"))
        for name, command in self.commands.items():
            command.arguments(sub.add_parser(name, help=command.help))
        args = parser.parse_args(argv)
        settings = self.load_settings()
        configure_logging(settings.service_name, settings.log_level, settings.log_json)
        if args.command == "serve":
            uvicorn.run(
                self.app_factory(settings),
                host=settings.host,
                port=settings.port,
                proxy_headers=True,
                forwarded_allow_ips=settings.forwarded_allow_ips,
                log_config=None,
                access_log=False,
            )
        elif args.command == "migrate":
            asyncio.run(ensure_database(settings.database_url))
            upgrade(self.package, settings.database_url)
        elif args.command == "dlq":
            asyncio.run(run_dlq(settings, args))
        elif args.command == "seed":
            if self.seed is not None:
                asyncio.run(self.seed(settings))
        else:
            asyncio.run(self.commands[args.command].run(settings, args))

    def load_settings(self) -> ServiceSettings:
        return load_or_refuse(self.settings_factory, self.package)
