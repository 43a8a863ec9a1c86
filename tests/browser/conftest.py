"""Browser tests: the app with its pages under uvicorn on a free loopback port, and a real
headless Chromium (Debian's, driven by Playwright's sync API; Playwright downloads no
browser here). Without Chromium these tests are skipped with the reason, except in CI
(.ci/run installs it), where that is a failure: the rule of tests/docs/test_offline_docs.py.

Every page is opened in a context that refuses, and records, any request that would leave
127.0.0.1.
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import HOTEL, seed, small_hotel
from tests.realtime.live_server import running_app
from tests.web.conftest import PASSWORD, ROLES, add_member
from web.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LOCAL_HOSTS = {"127.0.0.1"}
# Generous: a busy machine (the whole suite, other work) is slow; waits end at the condition.
CEILING_MS = 30_000


# One per module, like the offline-docs test's: a Playwright instance still running would
# make the next module's `sync_playwright()` fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and CI must run the browser tests (.ci/run)")
        pytest.skip("no Chromium on this machine (apt-get install chromium) to run the pages in")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def tokens(sqlite_database: str) -> dict[str, str]:
    """The small hotel with a member of every role; username -> API token."""
    seed(small_hotel())
    tokens = {name: add_member(HOTEL, name, role) for name, role in ROLES.items()}
    tokens["root"] = add_member(HOTEL, "root", "manager", superuser=True)
    return tokens


@pytest.fixture
def server(tokens: dict[str, str]) -> Iterator[str]:
    """The app with its pages, served by uvicorn; its base URL."""
    with running_app(create_app) as url:
        yield url


@dataclass
class OfflineBrowsing:
    """Pages opened in one browser context; what they tried to fetch from elsewhere."""

    context: Any
    refused: list[str] = field(default_factory=list)

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.set_default_timeout(CEILING_MS)
        return page


# Both take `server`, so that their pages (and event streams) close before it stops.
@pytest.fixture
def browsing(browser: Any, server: str) -> Iterator[OfflineBrowsing]:
    yield from _browsing(browser, {"width": 1280, "height": 800})


@pytest.fixture
def phone_browsing(browser: Any, server: str) -> Iterator[OfflineBrowsing]:
    yield from _browsing(browser, {"width": 375, "height": 812})


def _browsing(browser: Any, viewport: dict[str, int]) -> Iterator[OfflineBrowsing]:
    context = browser.new_context(viewport=viewport)
    browsing = OfflineBrowsing(context)

    def only_local(route: Any) -> None:
        url = route.request.url
        if url.startswith("data:") or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            browsing.refused.append(url)
            route.abort()

    context.route("**/*", only_local)
    yield browsing
    context.close()


def sign_in(page: Any, server: str, username: str, password: str = PASSWORD) -> None:
    page.goto(server + "/")
    page.get_by_label("Hotel code").fill(HOTEL)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
