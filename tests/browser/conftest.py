"""Browser tests: the web client in a real headless Chromium against a real kith server.

One server and one Chromium serve the whole directory; each test makes its own users and browser
contexts. Every page fails its test on a console error, an uncaught exception, a failed request or
an HTTP error that the test did not declare with ``app.watch.expect_problems(...)``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import Server
from kithweb import DESKTOP, Api, App, Watch
from playwright.sync_api import Browser, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # a microphone that plays a tone, allowed without asking: voice notes can be recorded
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def kith(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # official accounts' webhooks are bots on 127.0.0.1 here (tests/browser/test_official_accounts.py)
    env = {"KITH_PLATFORM_ALLOW_PRIVATE_WEBHOOKS": "true"}
    srv = Server(tmp_path_factory.mktemp("web") / "data", env).start()
    # never empty, so every sign-in screen opens the same way (an empty server opens on sign-up:
    # tests/browser/test_first_screen.py)
    Api(srv.url).register("first", "First")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running while it is open, which the asyncio tests
    # elsewhere cannot share: it is opened per module, and closed before they run.
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def api(kith: Server) -> Api:
    return Api(kith.url)


@pytest.fixture
def new_app(browser: Browser, kith: Server) -> Iterator[Callable[..., App]]:
    """new_app(name, viewport=DESKTOP, server=kith) -> App: a fresh browser context (its own storage) and page."""
    apps: list[App] = []

    def make(
        name: str = "user", viewport: dict[str, int] | None = None, server: Server | None = None, **options: object
    ) -> App:
        context = browser.new_context(viewport=viewport or DESKTOP, **options)
        page = context.new_page()
        page.set_default_timeout(10_000)
        app = App(context, page, Watch(page, name), (server or kith).url)
        apps.append(app)
        return app

    yield make
    problems = [f"[{a.watch.name}] {p}" for a in apps for p in a.watch.unexpected]
    for app in apps:
        app.context.close()
    assert not problems, "unexpected browser problems:\n" + "\n".join(problems)
