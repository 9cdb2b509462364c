"""Speed of the pages: static URLs carry their content's digest and are cached for good, other
static URLs are revalidated; no script blocks the rendering; Bootstrap Italia's JavaScript is
only the components the portal uses, not its 1 MB bundle."""

import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from portal.assets import IMMUTABLE, REVALIDATE, STATIC_DIR, CachedStaticFiles, static_url


@pytest.fixture
async def static_client(vendor_assets):
    """The portal's static directory behind CachedStaticFiles, as the app mounts it."""
    app = Starlette(routes=[Mount("/static", CachedStaticFiles(directory=STATIC_DIR))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def test_a_url_with_the_current_digest_is_cached_for_a_year(static_client):
    url = static_url("css/portal.css")
    assert re.fullmatch(r"/static/css/portal\.css\?v=[0-9a-f]{12}", url)
    response = await static_client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert response.content == (STATIC_DIR / "css" / "portal.css").read_bytes()


async def test_plain_and_outdated_urls_are_revalidated(static_client):
    plain = await static_client.get("/static/css/portal.css")
    outdated = await static_client.get("/static/css/portal.css?v=000000000000")
    assert plain.headers["cache-control"] == outdated.headers["cache-control"] == REVALIDATE == "no-cache"
    again = await static_client.get(
        "/static/css/portal.css", headers={"if-none-match": plain.headers["etag"]}
    )
    assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"


async def test_the_digest_follows_the_content(tmp_path):
    (tmp_path / "a.css").write_text("body { color: red; }")
    first = static_url("a.css", tmp_path)
    (tmp_path / "a.css").write_text("body { color: blue; }")
    assert static_url("a.css", tmp_path) != first
    assert static_url("missing.css", tmp_path) == "/static/missing.css"


async def test_pages_link_static_files_by_digest_and_block_on_nothing_but_styles(vendor_assets, client):
    page = (await client.get("/")).text
    head = page[: page.index("</head>")]
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', head)
    assert styles and all(re.search(r"\?v=[0-9a-f]{12}$", href) for href in styles)
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts
    for attributes in scripts:
        assert re.search(r'src="/static/[^"]+\?v=[0-9a-f]{12}"', attributes), attributes
        assert " defer" in attributes or 'type="module"' in attributes, attributes
    assert "bootstrap-italia.bundle" not in page
    # htmx only where a page uses it.
    assert "htmx.min.js" not in page
    # The two weights of the text are fetched with the stylesheets, by the URL fonts.css uses.
    fonts_css = (STATIC_DIR / "css" / "fonts.css").read_text()
    for href in re.findall(r'<link rel="preload" href="/static/([^"]+)" as="font"', head):
        assert f"../{href}" in fonts_css


async def test_the_components_module_and_its_imports_are_served(vendor_assets, client):
    module = (STATIC_DIR / "js" / "bootstrap-italia.js").read_text()
    imports = re.findall(r'^import "\.\./(vendor/js/bootstrap-italia/[^"]+)";', module, re.M)
    assert imports
    for relative in imports:
        response = await client.get(f"/static/{relative}")
        assert response.status_code == 200, relative
        for nested in re.findall(r"from '\./([^']+)'", response.text):
            assert (STATIC_DIR / relative).parent.joinpath(nested).is_file(), nested
