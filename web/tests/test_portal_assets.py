import json
import re

import httpx
import pytest

from portal.assets import VENDOR_DIR, build_assets, inputs_digest, missing_css_references, node_modules_stale

VENDOR = [
    "/static/vendor/css/bootstrap-italia.portal.min.css",
    "/static/vendor/css/bootstrap-italia.min.css",
    "/static/vendor/js/bootstrap-italia.bundle.min.js",
    "/static/vendor/svg/sprites.svg",
    "/static/vendor/js/htmx.min.js",
    "/static/vendor/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-regular.woff2",
]


@pytest.mark.parametrize("path", VENDOR)
async def test_vendor_asset_is_served(vendor_assets, client: httpx.AsyncClient, path: str):
    response = await client.get(path)
    assert response.status_code == 200
    assert len(response.content) > 1000


async def test_every_asset_the_layout_references_is_served(vendor_assets, client):
    html = (await client.get("/")).text
    paths = set(re.findall(r'(?:src|href)="(/static/[^"#]+)', html))
    # Content-addressed (?v=digest); htmx only on the pages that use it.
    assert {p.split("?")[0] for p in paths} >= {"/static/vendor/css/bootstrap-italia.portal.min.css"}
    assert "/static/vendor/css/bootstrap-italia.min.css" not in {p.split("?")[0] for p in paths}
    for path in paths:
        assert (await client.get(path)).status_code == 200, path


def test_the_pages_stylesheet_keeps_what_templates_use_and_drops_the_rest(vendor_assets):
    """The purged stylesheet: the header's and forms' rules, every tone a template builds from
    a value ("alert-{{ level }}", "bg-{{ tone }}"), and not the components no page has."""
    full = (VENDOR_DIR / "css" / "bootstrap-italia.min.css").read_text()
    purged = (VENDOR_DIR / "css" / "bootstrap-italia.portal.min.css").read_text()
    for kept in (".it-header-wrapper", ".form-control", ".is-invalid", ".breadcrumb", ".skiplinks"):
        assert kept in purged, kept
    for tone in ("success", "danger", "warning", "info"):
        assert f".alert-{tone}" in purged and f".bg-{tone}" in purged, tone
    for dropped in (".it-carousel-wrapper", ".it-timeline-wrapper", "font-family:VideoJS", ".progress-donut"):
        assert dropped in full and dropped not in purged, dropped
    assert len(purged) < len(full) / 4


def test_a_build_with_nothing_changed_leaves_the_served_folder_alone(vendor_assets):
    """The test lanes run side by side: a rebuild under a running stack once took its
    stylesheet away while a browser test loaded a page (unstyled, the style comparison failed)."""
    purged = VENDOR_DIR / "css" / "bootstrap-italia.portal.min.css"
    before = purged.stat()
    build_assets()
    after = purged.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_the_inputs_digest_follows_the_templates(tmp_path):
    (tmp_path / "package-lock.json").write_text("{}")
    template = tmp_path / "src" / "portal" / "templates" / "page.html"
    template.parent.mkdir(parents=True)
    template.write_text('<p class="lead">')
    first = inputs_digest(tmp_path)
    template.write_text('<p class="lead text-center">')
    assert inputs_digest(tmp_path) != first


def test_stylesheets_reference_only_files_that_exist(vendor_assets):
    assert missing_css_references() == []


def test_node_modules_match_the_lock_file_after_build(vendor_assets):
    assert not node_modules_stale()


def test_htmx_served_is_a_2x_release(vendor_assets):
    assert re.search(r'version:"2\.\d+\.\d+"', (VENDOR_DIR / "js" / "htmx.min.js").read_text())


def _fake_web_dir(tmp_path, locked: str, installed: str | None):
    lock = {"packages": {"": {}, "node_modules/htmx.org": {"version": locked}}}
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    if installed is not None:
        package = tmp_path / "node_modules" / "htmx.org"
        package.mkdir(parents=True)
        (package / "package.json").write_text(json.dumps({"version": installed}))
    return tmp_path


def test_node_modules_are_stale_when_missing(tmp_path):
    assert node_modules_stale(_fake_web_dir(tmp_path, "2.0.11", None))


def test_node_modules_are_stale_when_a_version_differs_from_the_lock(tmp_path):
    assert node_modules_stale(_fake_web_dir(tmp_path, "2.0.11", "2.0.10"))


def test_node_modules_are_current_when_versions_match_the_lock(tmp_path):
    assert not node_modules_stale(_fake_web_dir(tmp_path, "2.0.11", "2.0.11"))
