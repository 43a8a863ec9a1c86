"""The interactive API docs (/docs, /redoc) and the documentation site render with the
network unplugged: every script, style sheet, font and image comes from 127.0.0.1.

Two checks: the pages' HTML names only local assets, each of which loads; and a real
headless Chromium (Debian's, through Playwright) renders them while every request to
another host is refused and recorded. Without Chromium the browser check is skipped
with the reason, except in CI (.ci/run installs it), where that is a failure.
"""

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.docs.conftest import REPO
from tests.realtime.live_server import running_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LOCAL_HOSTS = {"127.0.0.1"}
SITE_PAGES = ["", "workflows/room-turnover/", "workflows/booking-lifecycle/", "api/"]


class AssetLinks(HTMLParser):
    """The URLs a browser fetches to show a page (not the links a reader may follow)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "img", "iframe") and values.get("src"):
            self.urls.append(values["src"])  # type: ignore[arg-type]
        rel = (values.get("rel") or "").lower()
        if tag == "link" and values.get("href") and rel not in ("canonical", "alternate", ""):
            self.urls.append(values["href"])  # type: ignore[arg-type]


def asset_urls(page_url: str, html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(html)
    return [urljoin(page_url, url) for url in parser.urls]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The documentation site, built as `make docs` builds it, served on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(folder)],
        cwd=REPO,
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def api_url(sqlite_database: str) -> Iterator[str]:
    with running_app() as url:
        yield url


def test_api_docs_pages_name_only_assets_the_app_serves(api_url: str) -> None:
    with httpx.Client() as client:
        for page in ("/docs", "/redoc"):
            response = client.get(api_url + page)
            assert response.status_code == 200
            urls = asset_urls(api_url + page, response.text)
            assert any(url.endswith(".js") for url in urls), page
            for url in urls:
                assert urlsplit(url).hostname in LOCAL_HOSTS, f"{page} loads {url}"
                assert client.get(url).status_code == 200, url


def test_site_pages_name_only_assets_the_site_has(site: str) -> None:
    with httpx.Client() as client:
        for page in SITE_PAGES:
            html = client.get(site + page).text
            for url in asset_urls(site + page, html):
                assert urlsplit(url).hostname in LOCAL_HOSTS, f"{page or 'index'} loads {url}"
                assert client.get(url).status_code == 200, url
        assert "mermaid.min.js" in client.get(site + "workflows/room-turnover/").text


# --- in a real browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and CI must run this test (.ci/run)")
        pytest.skip("no Chromium on this machine (apt-get install chromium) to render pages")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def offline_page(browser):  # type: ignore[no-untyped-def]
    """A page that may only fetch from 127.0.0.1; (page, list of refused URLs)."""
    context = browser.new_context()
    refused: list[str] = []

    def only_local(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if url.startswith("data:") or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context.route("**/*", only_local)
    return context.new_page(), refused


def test_swagger_ui_and_redoc_render_offline(browser, api_url: str) -> None:  # type: ignore[no-untyped-def]
    page, refused = offline_page(browser)
    page.goto(api_url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Turnover" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() > 10  # the operations are listed
    page.goto(api_url + "/redoc")
    page.wait_for_selector("h1", timeout=30_000)
    assert "Turnover" in page.inner_text("h1")
    assert refused == []


def test_site_draws_its_mermaid_diagrams_offline(browser, site: str) -> None:  # type: ignore[no-untyped-def]
    page, refused = offline_page(browser)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for name in ("room-turnover", "booking-lifecycle"):
        page.goto(f"{site}workflows/{name}/")
        # Material swaps each `pre.mermaid` source for a `div.mermaid` holding the drawing.
        page.wait_for_selector("div.mermaid", timeout=30_000)
        assert page.locator("pre.mermaid").count() == 0
        assert page.evaluate("typeof mermaid") == "object"
        height = page.evaluate(
            "document.querySelector('div.mermaid').getBoundingClientRect().height"
        )
        assert height > 100, name  # a drawn diagram, not an empty box
    assert refused == [] and errors == []
