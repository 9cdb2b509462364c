"""`python -m portal serve` runs the portal; `python -m portal assets` prepares static/vendor."""

from __future__ import annotations

import argparse

import uvicorn

from kit.settings import load_or_refuse
from portal.app import create_app
from portal.assets import build_assets
from portal.settings import PortalSettings


def load_settings() -> PortalSettings:
    """As every service's command line (kit.cli): a misconfigured portal refuses in one line."""
    return load_or_refuse(PortalSettings, "portal")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m portal")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the portal (uvicorn)")
    assets = commands.add_parser("assets", help="copy Bootstrap Italia and htmx into static/vendor")
    assets.add_argument(
        "--force-install", action="store_true", help="run npm ci even if node_modules is current"
    )
    args = parser.parse_args(argv)

    if args.command == "assets":
        build_assets(force_install=args.force_install)
        return

    settings = load_settings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        # Behind the gateway: client address and scheme come from X-Forwarded-*.
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # Keep the JSON logging configured by create_app instead of uvicorn's own.
        log_config=None,
    )


if __name__ == "__main__":
    main()
