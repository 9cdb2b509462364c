"""Copies the front-end libraries pinned in web/package-lock.json into static/vendor.

static/vendor is not committed: it is rebuilt from the lock file, so the versions served are
exactly the reviewed ones.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import structlog

from portal.templating import STATIC_DIR

log = structlog.get_logger("portal.assets")

WEB_DIR = Path(__file__).resolve().parents[2]
VENDOR_DIR = STATIC_DIR / "vendor"

# node_modules path -> path under static/vendor
FILES = {
    "bootstrap-italia/dist/css/bootstrap-italia.min.css": "css/bootstrap-italia.min.css",
    "bootstrap-italia/dist/css/bootstrap-italia.min.css.map": "css/bootstrap-italia.min.css.map",
    "bootstrap-italia/dist/js/bootstrap-italia.bundle.min.js": "js/bootstrap-italia.bundle.min.js",
    "bootstrap-italia/dist/svg/sprites.svg": "svg/sprites.svg",
    "htmx.org/dist/htmx.min.js": "js/htmx.min.js",
}
# Bootstrap Italia's CSS names the fonts but ships no @font-face (its JS would inject one as
# an inline style, which a strict CSP forbids): static/css/portal.css declares them instead.
DIRECTORIES = {"bootstrap-italia/dist/fonts": "fonts"}

_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")


class AssetsError(RuntimeError):
    pass


def node_modules_stale(web_dir: Path = WEB_DIR) -> bool:
    """True when node_modules does not hold exactly the versions of package-lock.json."""
    lock = json.loads((web_dir / "package-lock.json").read_text())
    for path, meta in lock.get("packages", {}).items():
        if not path or meta.get("optional"):
            continue
        installed = web_dir / path / "package.json"
        if not installed.is_file():
            return True
        if json.loads(installed.read_text()).get("version") != meta.get("version"):
            return True
    return False


def missing_css_references(static_dir: Path = STATIC_DIR) -> list[str]:
    """Relative url(...) targets of every stylesheet under static_dir that do not exist."""
    missing = []
    for css in sorted(static_dir.rglob("*.css")):
        for ref in _CSS_URL.findall(css.read_text(encoding="utf-8")):
            if ref.startswith(("data:", "#", "http:", "https:", "//")):
                continue
            target = ref.split("#", 1)[0].split("?", 1)[0]
            if target.startswith("/static/"):
                resolved = static_dir / target.removeprefix("/static/")
            else:
                resolved = (css.parent / target).resolve()
            if not resolved.is_file():
                missing.append(f"{css.relative_to(static_dir)}: {ref}")
    return missing


def build_assets(force_install: bool = False, web_dir: Path = WEB_DIR) -> Path:
    if not (web_dir / "package-lock.json").is_file():
        raise AssetsError(f"{web_dir}/package-lock.json not found")
    if force_install or node_modules_stale(web_dir):
        npm = shutil.which("npm")
        if npm is None:
            raise AssetsError("npm not found: install Node.js to prepare the assets")
        log.info("portal.assets.npm_ci", cwd=str(web_dir))
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web_dir, check=True)

    modules = web_dir / "node_modules"
    shutil.rmtree(VENDOR_DIR, ignore_errors=True)
    for source, target in FILES.items():
        destination = VENDOR_DIR / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(modules / source, destination)
    for source, target in DIRECTORIES.items():
        shutil.copytree(modules / source, VENDOR_DIR / target)

    missing = missing_css_references()
    if missing:
        raise AssetsError("stylesheets reference missing files: " + ", ".join(missing))
    log.info("portal.assets.ready", vendor=str(VENDOR_DIR))
    return VENDOR_DIR
