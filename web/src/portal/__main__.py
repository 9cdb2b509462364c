"""`python -m portal serve` runs the portal; `python -m portal assets` prepares static/vendor."""

from __future__ import annotations

import argparse

import uvicorn
from pydantic import ValidationError

from kit.settings import DevelopmentValuesError
from portal.app import create_app
from portal.assets import build_assets
from portal.settings import PortalSettings


def load_settings() -> PortalSettings:
    """The settings, or a one-line refusal naming the settings at fault (no traceback), as
    every service's command line does (kit.cli): a misconfigured portal must not start."""
    try:
        return PortalSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])).upper() or 'settings'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise SystemExit(f"python -m portal: configuration refused: {problems}") from None
    except DevelopmentValuesError as exc:
        raise SystemExit(f"python -m portal: configuration refused: {exc}") from None


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
