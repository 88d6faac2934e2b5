"""Notifications in Chromium: a hidden tab's own Notification, Web Push with the tab closed, and the
installable app (manifest, icons, service worker).

What headless Chromium cannot do, and how each test gets around it:
- A tab cannot be hidden: the page's ``document.visibilityState`` is made to answer "hidden" by an
  init script (the client reads nothing else), and ``window.Notification`` is wrapped to record
  what the page shows.
- ``pushManager.subscribe`` needs Google's push service (FCM), which headless Chromium here cannot
  reach: the test asserts that the page's own subscribe fails, and subscribes the device through
  the API instead, with a key pair of the test's (tests/pushservice.py), pointed at a local
  stand-in push service. The server's real push to it is decrypted with that key, and its content
  handed to the page's real service worker as a push (DevTools' ``ServiceWorker.deliverPushMessage``),
  which must show it as a notification. Clicking a notification cannot be done headless.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from helpers import Server
from kithweb import Api, App
from PIL import Image
from playwright.sync_api import expect
from pushservice import PushService

# records each Notification the page shows, and lets the test say whether the tab is hidden
WATCH_NOTIFICATIONS = """
window.__shown = [];
window.__hidden = false;
Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (window.__hidden ? 'hidden' : 'visible') });
Object.defineProperty(Document.prototype, 'hidden', { get: () => window.__hidden });
if ('Notification' in window) {
  const Real = window.Notification;
  class Watched extends Real {
    constructor(title, options = {}) {
      super(title, options);
      window.__shown.push({ title, body: options.body || '', tag: options.tag || '' });
    }
  }
  window.Notification = Watched;
}
"""


@pytest.fixture(scope="module")
def stand_in() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.close()


@pytest.fixture(scope="module")
def kith(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own server: push endpoints on 127.0.0.1 allowed (the stand-in push service)."""
    env = {"KITH_PUSH_ALLOW_INSECURE_ENDPOINTS": "true", "KITH_PUSH_COALESCE_SECONDS": "1"}
    srv = Server(tmp_path_factory.mktemp("push-web") / "data", env).start()
    yield srv
    srv.stop()


def wait_until(app: App, expression: str, timeout: float = 10) -> None:
    """Poll ``expression`` in the page (the client's CSP forbids the eval behind wait_for_function)."""
    deadline = time.monotonic() + timeout
    while not app.page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def notifications_switch(app: App) -> Any:
    return app.page.get_by_role("switch", name="Notifications", exact=True)


def turn_on_notifications(app: App) -> str:
    """Me > Notifications > on; returns what the page says about where they will reach you."""
    app.open("me/notifications")
    switch = notifications_switch(app)
    # headless Chromium has no push service: the page's subscribe fails, and says so in the console
    with app.watch.expect_problems(r"Push API|push subscription failed|Registration failed|push service"):
        switch.check()
        expect(switch).to_be_checked()
        status = app.page.get_by_role("status").filter(has_text="You will be notified")
        expect(status).to_be_visible()
    return status.inner_text()


def test_a_hidden_tab_shows_a_notification_for_a_new_message(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    chat = api.direct(alice, bob)
    b = new_app("bob", permissions=["notifications"])
    b.context.add_init_script(WATCH_NOTIFICATIONS)
    b.signed_in_as(bob, "me/notifications")
    turn_on_notifications(b)
    shown = lambda: b.page.evaluate("window.__shown")  # noqa: E731

    # visible: the open app shows the message, no notification
    api.say(alice, chat, "you can see this one")
    expect(b.tab_badge("chats")).to_have_text("1")  # the page has it
    assert shown() == []

    # hidden: a notification that says only "New message"
    b.page.evaluate("window.__hidden = true")
    api.say(alice, chat, "the secret is under the mat")
    wait_until(b, "window.__shown.length === 1")
    assert shown() == [{"title": "kith", "body": "New message", "tag": f"c{chat}"}]

    # with "Show message text" on: who wrote and what
    b.page.evaluate("window.__hidden = false")
    b.page.get_by_role("switch", name="Show message text in notifications").check()
    expect(b.page.get_by_role("switch", name="Show message text in notifications")).to_be_checked()
    assert api.call(bob, "GET", "/push/settings")["previews"] is True
    b.page.evaluate("window.__hidden = true")
    api.say(alice, chat, "lunch at one?")
    wait_until(b, "window.__shown.length === 2")
    assert shown()[1] == {"title": "Alice Chen", "body": "lunch at one?", "tag": f"c{chat}"}

    # a muted chat: nothing
    api.call(bob, "PATCH", f"/conversations/{chat}/prefs", json={"muted": True})
    time.sleep(0.3)  # the mute reaches the page as an event first
    api.say(alice, chat, "muted, so quiet")
    api.call(bob, "PATCH", f"/conversations/{chat}/prefs", json={"muted": False})
    api.say(alice, chat, "unmuted again")
    wait_until(b, "window.__shown.length === 3")
    assert [n["body"] for n in shown()] == ["New message", "lunch at one?", "unmuted again"]


def _registration_id(cdp: Any, base: str) -> str:
    found: dict[str, str] = {}
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: found.update(
            {r["scopeURL"]: r["registrationId"] for r in event["registrations"] if not r["isDeleted"]}
        ),
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while base + "/" not in found and time.monotonic() < deadline:
        cdp.send("Runtime.evaluate", {"expression": "1"})  # let events arrive
        time.sleep(0.05)
    return found[base + "/"]


def test_a_push_reaches_the_closed_tabs_service_worker(
    new_app: Callable[..., App], api: Api, kith: Server, stand_in: PushService
) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    chat = api.direct(alice, bob)
    b = new_app("bob", permissions=["notifications"])
    b.signed_in_as(bob, "me/notifications")
    said = turn_on_notifications(b)
    # the page asked for a real push subscription; headless Chromium has no push service to give one
    subscribed = api.call(bob, "GET", "/push/settings")["subscribed"]
    assert not subscribed and "while kith is open" in said, (
        "the page's own subscription would be used: update this test"
    )
    receiver = stand_in.receiver(f"bob{bob.id}")
    api.call(bob, "POST", "/push/subscriptions", json=receiver.subscription())

    # the tab closes: its socket with it; the server pushes
    base = kith.url
    worker_page = b.context.new_page()  # about:blank: no app, no socket; it keeps the context's service worker
    b.page.close()
    time.sleep(0.5)
    api.say(alice, chat, "are you there?")
    (push,) = stand_in.wait_for(receiver)
    payload = receiver.decrypt(push)
    assert payload == {"kind": "message", "conversation_id": chat, "seq": payload["seq"], "title": "New message"}

    # what the push service would hand the browser, handed to the page's real service worker
    cdp = b.context.new_cdp_session(worker_page)
    registration = _registration_id(cdp, base)
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": base, "registrationId": registration,
                                                  "data": json.dumps(payload)})  # fmt: skip
    worker = b.context.service_workers[0]
    deadline = time.monotonic() + 10
    shown: list[dict[str, Any]] = []
    while not shown and time.monotonic() < deadline:
        shown = worker.evaluate(
            "self.registration.getNotifications().then((all) => all.map((n) => ({title: n.title, body: n.body,"
            " tag: n.tag, route: n.data.route})))"
        )
        time.sleep(0.1)
    assert shown == [{"title": "kith", "body": "New message", "tag": f"c{chat}", "route": f"chats/{chat}"}]

    # previews on: the same way, the sender and the text
    api.call(bob, "PUT", "/push/settings", json={"previews": True})
    time.sleep(1.1)  # past the coalescing window of this server
    api.say(alice, chat, "lunch at one?")
    pushes = stand_in.wait_for(receiver, 2)
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": base, "registrationId": registration,
                                                  "data": json.dumps(receiver.decrypt(pushes[1]))})  # fmt: skip
    worker.evaluate("new Promise((done) => setTimeout(done, 300))")
    shown = worker.evaluate(
        "self.registration.getNotifications().then((all) => all.map((n) => ({title: n.title, body: n.body})))"
    )
    assert shown == [{"title": "Alice Chen", "body": "lunch at one?"}], "one per chat: the newer replaced the first"


def test_the_app_is_installable(new_app: Callable[..., App], api: Api, kith: Server) -> None:
    manifest_response = httpx.get(kith.url + "/manifest.webmanifest")
    assert manifest_response.headers["content-type"].startswith("application/manifest+json")
    manifest = manifest_response.json()
    assert manifest["name"] == "kith" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/#/chats" and manifest["scope"] == "/"
    sizes = set()
    for entry in manifest["icons"]:
        image = Image.open(io.BytesIO(httpx.get(kith.url + entry["src"]).content))
        assert image.format == "PNG" and f"{image.width}x{image.height}" == entry["sizes"], entry
        sizes.add(entry["sizes"])
    assert {"192x192", "512x512"} <= sizes
    assert any(entry["purpose"] == "maskable" for entry in manifest["icons"])
    worker = httpx.get(kith.url + "/sw.js")
    assert "javascript" in worker.headers["content-type"] and worker.headers["cache-control"] == "no-cache"

    bob = api.register("bob", "Bob Martin")
    b = new_app("bob").signed_in_as(bob)
    registered = b.page.evaluate(
        "navigator.serviceWorker.ready.then((r) => ({scope: r.scope, script: r.active.scriptURL}))"
    )
    assert registered == {"scope": kith.url + "/", "script": kith.url + "/sw.js"}
    linked = b.page.evaluate("document.querySelector('link[rel=manifest]').href")
    assert linked == kith.url + "/manifest.webmanifest"


def _shown_by(worker: Any, tag: str) -> list[dict[str, Any]]:
    """The service worker's notifications of ``tag``, once there is one (within 10 s)."""
    deadline = time.monotonic() + 10
    shown: list[dict[str, Any]] = []
    while not shown and time.monotonic() < deadline:
        shown = worker.evaluate(
            f"self.registration.getNotifications({{tag: {json.dumps(tag)}}})"
            ".then((all) => all.map((n) => ({title: n.title, body: n.body})))"
        )
        time.sleep(0.1)
    return shown


def test_a_chinese_client_is_notified_in_chinese_by_the_page_and_by_its_service_worker(
    new_app: Callable[..., App], api: Api, kith: Server, stand_in: PushService
) -> None:
    wang, lin, zhang = api.register("wang", "小王"), api.register("lin", "小林"), api.register("zhang", "小张")
    api.befriend(wang, lin)
    chat = api.direct(wang, lin)
    b = new_app("lin", permissions=["notifications"], locale="zh-CN")
    b.context.add_init_script(WATCH_NOTIFICATIONS)
    b.signed_in_as(lin, "me/notifications")
    switch = b.page.get_by_role("switch", name="通知", exact=True)
    with b.watch.expect_problems(r"Push API|push subscription failed|Registration failed|push service"):
        switch.check()
        expect(switch).to_be_checked()
        expect(b.page.get_by_role("status")).to_have_text(
            "kith 在标签页中打开时会收到通知。开启消息免打扰的聊天不会通知。"
        )
    assert b.untranslated(within="#main") == []
    script = b.page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.scriptURL)")
    assert script == kith.url + "/sw.js?lang=zh-CN"  # the worker is told the page's language

    # a hidden tab's own notification
    b.page.evaluate("window.__hidden = true")
    api.say(wang, chat, "在吗？")
    wait_until(b, "window.__shown.length === 1")
    assert b.page.evaluate("window.__shown") == [{"title": "kith", "body": "新消息", "tag": f"c{chat}"}]

    # the tab closed: the service worker shows the server's push, in Chinese
    receiver = stand_in.receiver(f"lin{lin.id}")
    api.call(lin, "POST", "/push/subscriptions", json=receiver.subscription())
    worker_page = b.context.new_page()
    b.page.close()
    time.sleep(0.5)
    time.sleep(1.1)  # past the coalescing window of this server
    api.say(wang, chat, "晚上一起吃饭")
    (push,) = stand_in.wait_for(receiver)
    payload = receiver.decrypt(push)
    assert payload["title"] == "New message"  # the server speaks English: the worker translates
    cdp = b.context.new_cdp_session(worker_page)
    registration = _registration_id(cdp, kith.url)
    deliver = lambda data: cdp.send(  # noqa: E731
        "ServiceWorker.deliverPushMessage",
        {"origin": kith.url, "registrationId": registration, "data": json.dumps(data)},
    )
    deliver(payload)
    worker = b.context.service_workers[0]
    assert _shown_by(worker, f"c{chat}") == [{"title": "kith", "body": "新消息"}]

    # a friend request, with previews on: who asks, and their greeting
    api.call(lin, "PUT", "/push/settings", json={"previews": True})
    api.call(zhang, "POST", "/friend-requests", json={"handle": lin.handle, "greeting": "我是小张"})
    pushes = stand_in.wait_for(receiver, 2)
    request = receiver.decrypt(pushes[1])
    assert request["kind"] == "friend_request"
    deliver(request)
    assert _shown_by(worker, "requests") == [{"title": "小张 请求添加你为朋友", "body": "我是小张"}]
