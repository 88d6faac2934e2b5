"""Driving the web client in Chromium: pages that fail on unexpected errors, and a few verbs."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Locator, Page, expect

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PASSWORD = "plum kettle ferry 41"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
_ids = itertools.count(1)
# Latin words a Chinese screen may show: the name, formats and units, the developer platform's terms
LATIN_WORDS = (
    r"\b(kith|JSON|zip|QR|URL|ID|AppID|AppSecret|Token|EncodingAESKey|HTTPS?|GIF|PNG|JPEG|WebP|MP4|B|KB|MB|GB)\b"
)


def unique(prefix: str) -> str:
    """A handle no other test uses (tests share one server)."""
    return f"{prefix}{next(_ids)}_{os.getpid() % 10000}"


class Watch:
    """Every console error, page error, failed request and HTTP error of one page.

    Problems a test causes on purpose are declared with ``expect_problems(pattern, ...)`` around the
    step that causes them; anything else fails the test at teardown.
    """

    def __init__(self, page: Page, name: str) -> None:
        self.name = name
        self.allowed: list[re.Pattern[str]] = []
        self.unexpected: list[str] = []
        self.tolerated: list[str] = []
        page.on("console", lambda m: m.type == "error" and self._problem(f"console error: {m.text}"))
        page.on("pageerror", lambda e: self._problem(f"uncaught exception: {e}"))
        page.on("requestfailed", lambda r: self._problem(f"request failed: {r.method} {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self._problem(f"HTTP {r.status}: {r.request.method} {r.url}"))

    def _problem(self, text: str) -> None:
        if any(p.search(text) for p in self.allowed):
            self.tolerated.append(text)
        else:
            self.unexpected.append(text)

    @contextlib.contextmanager
    def expect_problems(self, *patterns: str) -> Iterator[None]:
        compiled = [re.compile(p) for p in patterns]
        self.allowed.extend(compiled)
        try:
            yield
        finally:
            for p in compiled:
                self.allowed.remove(p)


@dataclass
class Account:
    id: int
    handle: str
    display_name: str
    token: str
    session: dict[str, Any] = field(repr=False)


class Api:
    """The REST API, for setting the scene quickly (the browser does what is under test)."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url

    def _call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.request(method, f"{self.base}/api/v1{path}", headers=headers, timeout=30, **kwargs)
        assert response.status_code < 300, f"{method} {path} -> {response.status_code} {response.text}"
        return response.json() if response.content else None

    def register(self, prefix: str, display_name: str) -> Account:
        handle = unique(prefix)
        body = self._call(
            "POST", "/accounts", json={"handle": handle, "display_name": display_name, "password": PASSWORD}
        )
        return Account(body["user"]["id"], handle, display_name, body["token"], body)

    def call(self, account: Account, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, token=account.token, **kwargs)

    def befriend(self, a: Account, b: Account, greeting: str = "") -> None:
        """Make a and b friends (which opens their chat: empty, unless a greeting starts it)."""
        sent = self.call(a, "POST", "/friend-requests", json={"handle": b.handle, "greeting": greeting})
        self.call(b, "POST", f"/friend-requests/{sent['request']['id']}/accept")

    def direct(self, a: Account, b: Account) -> int:
        return int(self.call(a, "POST", "/conversations/direct", json={"user_id": b.id})["id"])

    def say(self, account: Account, conversation_id: int, text: str, reply_to: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"id": f"t{next(_ids)}", "text": text}
        if reply_to is not None:
            body["reply_to"] = reply_to
        return self.call(account, "POST", f"/conversations/{conversation_id}/messages", json=body)["message"]

    def group(self, owner: Account, name: str, members: list[Account]) -> int:
        body = {"name": name, "user_ids": [m.id for m in members]}
        return int(self.call(owner, "POST", "/conversations/groups", json=body)["id"])

    def messages(self, account: Account, conversation_id: int) -> list[dict[str, Any]]:
        return self.call(account, "GET", f"/conversations/{conversation_id}/messages?limit=200")["messages"]


class App:
    """One person's browser tab running the client."""

    def __init__(self, context: BrowserContext, page: Page, watch: Watch, base_url: str) -> None:
        self.context = context
        self.page = page
        self.watch = watch
        self.base_url = base_url

    # -- arriving -----------------------------------------------------------------------------

    def open(self, route: str = "") -> App:
        self.page.goto(f"{self.base_url}/{('#/' + route) if route else ''}")
        return self

    def signed_in_as(self, account: Account, route: str = "chats") -> App:
        """Start already signed in (as if this browser had signed in before)."""
        session = json.dumps({k: account.session[k] for k in ("token", "user", "device")})
        self.context.add_init_script(
            f"localStorage.getItem('kith.session') || localStorage.setItem('kith.session', {json.dumps(session)})"
        )
        self.open(route)
        self.wait_online()
        return self

    def sign_up(self, handle: str, name: str, password: str = PASSWORD) -> None:
        page = self.page
        page.get_by_role("button", name="Create an account").click()
        page.get_by_label("Handle").fill(handle)
        page.get_by_label("Your name").fill(name)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", name="Chats", exact=True)).to_be_visible()
        self.wait_online()

    def sign_in(self, handle: str, password: str = PASSWORD) -> None:
        page = self.page
        page.get_by_label("Handle").fill(handle)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    def reload(self) -> None:
        """Reload the page; requests it cuts short (the icon, say) are expected to be aborted."""
        with self.watch.expect_problems(r"net::ERR_ABORTED"):
            self.page.reload()

    def account(self) -> Account:
        """Who this tab is signed in as (read from its storage), for checks through the API."""
        session = json.loads(self.page.evaluate("localStorage.getItem('kith.session')"))
        user = session["user"]
        return Account(user["id"], user["handle"], user["display_name"], session["token"], session)

    def wait_online(self) -> None:
        expect(self.page.locator("#app.app")).to_have_attribute("data-connection", "online")

    # -- navigating ---------------------------------------------------------------------------

    def tab(self, name: str) -> None:
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(f"^{name}")).click()

    def tab_badge(self, tab: str) -> Locator:
        return self.page.locator(f".rail-tab[data-tab={tab}] .badge")

    def chat_item(self, title: str) -> Locator:
        return self.page.locator(
            "a.chat-item", has=self.page.locator(".chat-name", has_text=re.compile(f"^{re.escape(title)}$"))
        )

    def open_chat(self, title: str) -> None:
        self.chat_item(title).click()
        expect(self.page.locator(".chat-title")).to_have_text(title)

    # -- chatting -----------------------------------------------------------------------------

    @property
    def log(self) -> Locator:
        """The open chat's messages."""
        return self.page.get_by_role("log", name="Messages")

    @property
    def composer(self) -> Locator:
        return self.page.get_by_role("textbox", name="Message")

    def send(self, text: str) -> None:
        self.composer.fill(text)
        self.composer.press("Enter")
        expect(self.message(text)).to_have_attribute("data-state", "sent")

    def message(self, text: str) -> Locator:
        """The message row whose text is exactly ``text``."""
        return self.page.locator(
            ".msg", has=self.page.locator(".msg-text", has_text=re.compile(f"^{re.escape(text)}$"))
        )

    def bubbles(self) -> list[str]:
        return self.page.locator(".msg .msg-text").all_inner_texts()

    # -- languages ----------------------------------------------------------------------------

    def untranslated(self, *allow: str, within: str = "body") -> list[str]:
        """The Latin-lettered strings this screen shows, for checking a Chinese one: visible text
        and labels (aria-label, title, placeholder, alt), leaving out what people wrote (user text is
        ``dir="auto"``), anything marked as another language (``lang``), LATIN_WORDS and ``allow``
        (regexes: the test's own handles, say). ``within``: a selector, to check part of the page."""
        return self.page.evaluate(
            """([allow, within]) => {
              const root = document.querySelector(within);
              const strip = new RegExp(allow.join('|'), 'g');
              const found = new Set();
              const own = document.documentElement.lang;
              const exempt = (el) =>
                el.closest('[dir=auto], script, style, noscript') || el.closest('[lang]').lang !== own;
              const visible = (el) => el.checkVisibility({ visibilityProperty: true, opacityProperty: false });
              const check = (text, el) => {
                const left = text.replace(strip, '');
                const where = `<${el.tagName.toLowerCase()} class="${el.className?.baseVal ?? el.className}">`;
                if (/[A-Za-z]/.test(left)) found.add(`${text.trim()}  ${where}`);
              };
              const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
              for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const el = node.parentElement;
                if (el && node.data.trim() && !exempt(el) && visible(el)) check(node.data, el);
              }
              for (const el of root.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
                if (exempt(el) || !visible(el)) continue;
                for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
                  const value = el.getAttribute(name);
                  if (value) check(value, el);
                }
              }
              return [...found].sort();
            }""",
            [[LATIN_WORDS, *allow], within],
        )

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path
