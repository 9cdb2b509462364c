"""Copies the front-end libraries pinned in web/package-lock.json into static/vendor.

static/vendor is not committed: it is rebuilt from the lock file, so the versions served are
exactly the reviewed ones.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs

import structlog
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

log = structlog.get_logger("portal.assets")

WEB_DIR = Path(__file__).resolve().parents[2]
STATIC_DIR = Path(__file__).parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"

# node_modules path -> path under static/vendor
FILES = {
    "bootstrap-italia/dist/css/bootstrap-italia.min.css": "css/bootstrap-italia.min.css",
    "bootstrap-italia/dist/css/bootstrap-italia.min.css.map": "css/bootstrap-italia.min.css.map",
    "bootstrap-italia/dist/js/bootstrap-italia.bundle.min.js": "js/bootstrap-italia.bundle.min.js",
    "bootstrap-italia/dist/svg/sprites.svg": "svg/sprites.svg",
    "bootstrap-italia/dist/version.js": "js/version.js",
    "htmx.org/dist/htmx.min.js": "js/htmx.min.js",
}
# Bootstrap Italia's CSS names the fonts but ships no @font-face (its JS would inject one as
# an inline style, which a strict CSP forbids): static/css/fonts.css declares them instead.
# Its components as ES modules: static/js/bootstrap-italia.js imports the few the portal uses
# (about 50 KB) instead of the 1 MB bundle of them all; their `../version.js` is in FILES.
DIRECTORIES = {
    "bootstrap-italia/dist/fonts": "fonts",
    "bootstrap-italia/dist/plugins": "js/bootstrap-italia",
}

# Bootstrap Italia's stylesheet cut to what the portal's pages use (web/purgecss.config.cjs):
# the one the pages link. The full one stays beside it, for the test that compares the two.
PURGED_CSS = "css/bootstrap-italia.portal.min.css"

_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")


class AssetsError(RuntimeError):
    pass


def node_modules_stale(web_dir: Path = WEB_DIR) -> bool:
    """True when node_modules does not hold exactly the versions of package-lock.json. The
    development tools (axe-core, Lighthouse: devDependencies) are not needed to serve the
    portal: an image built with `npm ci --omit=dev` is not stale for lacking them."""
    lock = json.loads((web_dir / "package-lock.json").read_text())
    for path, meta in lock.get("packages", {}).items():
        if not path or meta.get("optional") or meta.get("dev"):
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


# What the vendor folder is built from: when none of it changed, a build leaves the folder
# alone (a running portal, e.g. a test stack, keeps serving it undisturbed).
_INPUT_GLOBS = (
    "package-lock.json",
    "purgecss.config.cjs",
    "src/portal/templates/**/*.html",
    "src/portal/**/*.py",
    "src/portal/static/js/*.js",
)
_STAMP = ".inputs"


def inputs_digest(web_dir: Path = WEB_DIR) -> str:
    digest = hashlib.sha256()
    for pattern in _INPUT_GLOBS:
        for path in sorted(web_dir.glob(pattern)):
            if path.is_file() and "node_modules" not in path.parts:
                digest.update(path.relative_to(web_dir).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build_assets(force_install: bool = False, web_dir: Path = WEB_DIR) -> Path:
    """static/vendor from node_modules (installed first when it does not match the lock
    file): built in a folder beside it, then swapped in, so that a portal serving it never
    finds it half-written; left as it is when its inputs did not change."""
    if not (web_dir / "package-lock.json").is_file():
        raise AssetsError(f"{web_dir}/package-lock.json not found")
    installed = False
    if force_install or node_modules_stale(web_dir):
        npm = shutil.which("npm")
        if npm is None:
            raise AssetsError("npm not found: install Node.js to prepare the assets")
        log.info("portal.assets.npm_ci", cwd=str(web_dir))
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web_dir, check=True)
        installed = True

    digest = inputs_digest(web_dir)
    stamp = VENDOR_DIR / _STAMP
    if not installed and stamp.is_file() and stamp.read_text() == digest:
        log.info("portal.assets.current", vendor=str(VENDOR_DIR))
        return VENDOR_DIR

    modules = web_dir / "node_modules"
    building = VENDOR_DIR.with_name(f".vendor-build-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    for source, target in FILES.items():
        destination = building / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(modules / source, destination)
    for source, target in DIRECTORIES.items():
        shutil.copytree(modules / source, building / target)
    purge_stylesheet(web_dir, building / PURGED_CSS)
    (building / _STAMP).write_text(digest)

    previous = VENDOR_DIR.with_name(f".vendor-old-{os.getpid()}")
    if VENDOR_DIR.exists():
        VENDOR_DIR.rename(previous)
    building.rename(VENDOR_DIR)
    shutil.rmtree(previous, ignore_errors=True)

    missing = missing_css_references()
    if missing:
        raise AssetsError("stylesheets reference missing files: " + ", ".join(missing))
    log.info("portal.assets.ready", vendor=str(VENDOR_DIR))
    return VENDOR_DIR


def purge_stylesheet(web_dir: Path, target: Path) -> Path:
    """PurgeCSS (npm, pinned in the lock file) over the templates, the portal's Python and
    scripts: from about 610 KB to about 107 KB. Run again whenever one of them changes, so a
    class a template starts using is kept."""
    node = shutil.which("node")
    if node is None:
        raise AssetsError("node not found: install Node.js to prepare the assets")
    purgecss = web_dir / "node_modules" / "purgecss" / "bin" / "purgecss.js"
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [node, str(purgecss), "--config", "purgecss.config.cjs", "--output", out],
            cwd=web_dir,
            check=True,
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(Path(out) / "bootstrap-italia.min.css", target)
    return target


# --- serving: URLs that change with the content are cached for good --------------------------

IMMUTABLE = "public, max-age=31536000, immutable"
# Other URLs may get new content: the browser revalidates (ETag, 304) on every use.
REVALIDATE = "no-cache"
_DIGEST_LENGTH = 12


@functools.cache
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:_DIGEST_LENGTH]


def content_digest(path: Path) -> str:
    """Of the file as it is now: an edited file (development) gets a new digest, hence a new URL."""
    stat = path.stat()
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def static_url(relative: str, static_dir: Path = STATIC_DIR) -> str:
    """``/static/<relative>?v=<digest of its content>``, for the pages to link: a new version is
    a new URL, so CachedStaticFiles lets browsers keep each one for a year. The digest rides in
    the query, not the name, so that plain StaticFiles serves the same URLs."""
    path = static_dir / relative
    # A missing file (assets not built yet: the app warns at start) keeps its plain URL.
    if not path.is_file():
        return f"/static/{relative}"
    return f"/static/{relative}?v={content_digest(path)}"


class StaticUrl:
    """static_url(relative) computed when a page prints it, not at import: the vendor files
    may be built after the templates are loaded (and change in development)."""

    def __init__(self, relative: str) -> None:
        self.relative = relative

    def __str__(self) -> str:
        return static_url(self.relative)


class CachedStaticFiles(StaticFiles):
    """StaticFiles with the cache policy of static_url: ``immutable`` for a year when the URL
    carries the digest of the file served; ``no-cache`` otherwise (no digest, or the digest of
    a previous version, asked by a page of the previous release during a deploy)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        cache = REVALIDATE
        if asked and self.directory is not None and response.status_code in (200, 304):
            full = Path(self.directory) / path
            if full.is_file() and content_digest(full) == asked:
                cache = IMMUTABLE
        response.headers["Cache-Control"] = cache
        return response
