"""Record one real exchange per API operation, for the OpenAPI document: src/kith/http/examples.json.

A real server (SQLite, in a temporary directory) is walked through a small story that reaches every
route of ``kith.http.routes``: people sign up and befriend each other, chat, post Moments, and one of
them runs an official account whose bot (real werobot, a real HTTP server) answers. For each
operation the first successful answer of each success status is kept with its request (path and
query parameters, body). Secrets are replaced by placeholders (``PLACEHOLDERS``): bearer tokens,
passwords, the AppSecret, a QR code's ticket, invite links' tokens; the server's and the bot's
addresses by example.org ones. Everything else is what the server answered.

Run it after adding or changing a route (a new route needs a step in ``story``):

    scripts/record-examples        (or: .venv/bin/python tests/api_examples.py)
"""

from __future__ import annotations

import base64
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

sys.path.insert(0, str(Path(__file__).parent))

import mediafiles
from helpers import PASSWORD, Server, add_articles, free_port, kith_client, serve_wsgi

from kith.http.endpoint import Endpoint
from kith.http.routes import ENDPOINTS

OUT = Path(__file__).parents[1] / "src" / "kith" / "http" / "examples.json"
COMMAND = "scripts/record-examples"
BOT_URL = "https://bot.example.org/wechat"
WEBHOOK_TOKEN = "YourWebhookToken"  # sent as it is: a Token is the owner's to choose
DEVICE_KEY = "your-device-key-of-22-to-128-url-safe-characters"
NEW_PASSWORD = "gull anchor lantern 73"
# what stands in for each secret, wherever it appears (each valid where its field's schema asks)
PLACEHOLDERS = {
    "token": "<bearer token, shown once>",
    "password": "<your password>",
    "old_password": "<your password>",
    "new_password": "<your new password>",
    "app_secret": "<AppSecret, shown once>",
    "ticket": "<ticket from the QR code>",
}
# an invite link's token: 24 URL-safe characters, as a body's `token` must be
INVITE_TOKENS = {"/#/invite/": "YourInviteTokenFromALink", "/#/join/": "GroupInviteTokenFromLink"}
# what a field named for a secret may hold in examples.json
SAFE = {*PLACEHOLDERS.values(), *INVITE_TOKENS.values(), WEBHOOK_TOKEN, ""}
# a browser's push subscription: its push service's URL and auth secret stand-ins (its key is real)
PUSH_ENDPOINT = "https://push.example.org/send/your-subscription"
PUSH_AUTH = "YourBrowsersAuthSecret"  # 22 URL-safe characters: 16 bytes
PUBLIC_KEYS = {"p256dh", "public_key"}  # the fields of public keys: long, random, and no secrets


def key(e: Endpoint) -> str:
    """An operation's name in examples.json: its method and path as the document writes them."""
    path = re.sub(r"\{(\w+):\w+\}", r"{\1}", e.path)
    return f"{e.method} {path}"


def success_statuses(e: Endpoint) -> set[int]:
    """The statuses of an operation's answers worth an example: its success, and the others it
    declares that have a body in JSON (a resend's 200)."""
    primary = e.status if e.response is not None else 204
    return {primary} | ({s for s, _ in e.also if s == 200} if e.response not in (None, bytes) else set())


def _pattern(e: Endpoint) -> re.Pattern[str]:
    path = re.sub(r"\{(\w+):int\}", r"(?P<\1>[0-9]+)", e.path)
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")


class Recorder:
    """Keeps the first answer of each operation and success status it hears (an httpx response hook)."""

    def __init__(self, endpoints: tuple[Endpoint, ...]) -> None:
        self.routes = [(e, _pattern(e)) for e in endpoints]
        self.operations: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, str] = {PASSWORD: PLACEHOLDERS["password"], NEW_PASSWORD: PLACEHOLDERS["new_password"]}
        self.paused = False
        self.error: dict[str, Any] = {}

    @contextmanager
    def pause(self) -> Iterator[None]:
        """Requests made meanwhile are not recorded (polling, setup that repeats a recorded call)."""
        self.paused = True
        try:
            yield
        finally:
            self.paused = False

    def secret(self, value: str, placeholder: str) -> str:
        self.secrets[value] = placeholder
        return value

    def learn(self, body: Any) -> None:
        """The secrets an answer holds: a session's token, an AppSecret, an invite link's token."""
        if isinstance(body, list):
            for item in body:
                self.learn(item)
        if not isinstance(body, dict):
            return
        token, url = body.get("token"), body.get("url")
        if isinstance(token, str) and "user" in body:  # a Session
            self.secret(token, PLACEHOLDERS["token"])
        if isinstance(token, str) and isinstance(url, str):  # an invite link
            self.secret(token, next(p for kind, p in INVITE_TOKENS.items() if kind in url))
        if isinstance(body.get("app_secret"), str):
            self.secret(body["app_secret"], PLACEHOLDERS["app_secret"])
        for value in body.values():
            self.learn(value)

    def hear(self, response: httpx.Response) -> None:
        response.read()
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
        self.learn(body)
        request = response.request
        match = next(
            (
                (e, m)
                for e, pattern in self.routes
                if e.method == request.method and (m := pattern.match(request.url.path))
            ),
            None,
        )
        if self.paused or match is None:
            return
        e, m = match
        name, status = key(e), response.status_code
        if status not in success_statuses(e):
            return
        recorded = self.operations.setdefault(name, {})
        if str(status) in recorded.get("responses", {}):
            return
        if "responses" not in recorded:  # the request: the first recorded answer's
            if m.groupdict():
                recorded["path"] = {n: int(v) if v.isdigit() else v for n, v in m.groupdict().items()}
            if request.url.params and e.query is not None:
                query = msgspec.convert(dict(request.url.params), e.query, strict=False)
                recorded["query"] = {k: v for k, v in msgspec.to_builtins(query).items() if v is not None}
            if request.headers.get("content-type", "").startswith("application/json"):
                recorded["body"] = json.loads(request.content)
            recorded["responses"] = {}
        recorded["responses"][str(status)] = body

    def document(self, server_url: str, bot_url: str) -> dict[str, Any]:
        """What examples.json holds: the operations in route order, secrets and addresses replaced."""
        swaps = {**self.secrets, bot_url: BOT_URL, server_url: "https://kith.example.org"}
        order = [key(e) for e in ENDPOINTS]
        operations = {k: _swap(self.operations[k], swaps) for k in order if k in self.operations}
        left = _secrets_left(operations)
        assert not left, f"secrets left in the examples: {left}"
        return {
            "about": f"One real exchange per operation, put into /openapi.json. Regenerate: {COMMAND}",
            "operations": operations,
            "error": _swap(self.error, swaps),
        }


def _swap(value: Any, swaps: dict[str, str]) -> Any:
    if isinstance(value, str):
        for secret, placeholder in swaps.items():
            value = value.replace(secret, placeholder)
        return value
    if isinstance(value, dict):
        return {k: _swap(v, swaps) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, swaps) for v in value]
    return value


def _secrets_left(value: Any, where: str = "") -> list[str]:
    """Where a field named for a secret holds anything but its placeholder (the session's token and
    a password are the fields ``PLACEHOLDERS`` names; a webhook's Token is the owner's own word)."""
    left = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in PLACEHOLDERS and isinstance(v, str) and v not in SAFE:
                left.append(f"{where}.{k}")
            left += _secrets_left(v, f"{where}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            left += _secrets_left(v, f"{where}[{n}]")
    return left


class Person:
    """A signed-in user of the story: an httpx client with their token, heard by the recorder."""

    def __init__(self, server: Server, recorder: Recorder, token: str, body: dict[str, Any]) -> None:
        self.http = _client(server, recorder, token)
        self.id: int = body["user"]["id"]
        self.device_id: int = body["device"]["id"]

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, "/api/v1" + path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path} -> {response.status_code} {response.text}"
        json_body = response.headers.get("content-type", "").startswith("application/json")
        return response.json() if response.content and json_body else None


def _client(server: Server, recorder: Recorder, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30, event_hooks={"response": [recorder.hear]})


def wait_for(check: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def story(server: Server, rec: Recorder, bot_url: str) -> None:
    """Every route once, in an order that makes each first answer a telling one."""
    anon = _client(server, rec)

    def sign_up(handle: str, name: str, **extra: Any) -> Person:
        body = {"handle": handle, "display_name": name, "password": PASSWORD, **extra}
        response = anon.post("/api/v1/accounts", json=body)
        assert response.status_code == 201, response.text
        return Person(server, rec, response.json()["token"], response.json())

    def sign_in(handle: str, device: str, **extra: Any) -> Person:
        body = {"handle": handle, "password": PASSWORD, "device_name": device, **extra}
        response = anon.post("/api/v1/sessions", json=body)
        assert response.status_code == 201, response.text
        return Person(server, rec, response.json()["token"], response.json())

    # accounts
    assert anon.get("/api/v1/server").json()["first_account"] is True
    ada = sign_up("ada", "Ada", device_name="Ada's laptop", device_key=DEVICE_KEY)
    taken = anon.post("/api/v1/accounts", json={"handle": "ada", "display_name": "Ada", "password": PASSWORD})
    assert taken.status_code == 409, taken.text
    rec.error = taken.json()  # the example of an Error
    with rec.pause():
        grace, alan, linus, mallory, tmp, leaver = [
            sign_up(handle, handle.title()) for handle in ("grace", "alan", "linus", "mallory", "tmp", "leaver")
        ]
    phone = sign_in("ada", "Ada's phone", device_key=DEVICE_KEY)
    ada.ok("GET", "/me")
    ada.ok("PATCH", "/me", json={"display_name": "Ada Lovelace", "status": "Out sailing until Friday"})
    ada.ok("GET", "/me/devices")
    phone.ok("DELETE", "/sessions/current")
    with rec.pause():
        tablet = sign_in("ada", "Old tablet")
    ada.ok("DELETE", f"/me/devices/{tablet.device_id}")

    # media
    jpeg = mediafiles.jpeg(640, 480)
    photo = ada.ok("POST", "/media", params={"kind": "image", "name": "harbour.jpg"}, content=jpeg,
                   headers={"Content-Type": "image/jpeg"})["id"]  # fmt: skip
    ada.ok("PUT", "/me/avatar", json={"media_id": photo})
    ada.ok("DELETE", "/me/avatar")
    with rec.pause():
        ada.ok("PUT", "/me/avatar", json={"media_id": photo})
    ada.ok("GET", "/me/storage")
    ada.ok("GET", f"/media/{photo}")
    ada.ok("GET", f"/media/{photo}/thumbnail")

    # contacts
    ada.ok("GET", "/users/lookup", params={"handle": "grace"})
    asked = ada.ok("POST", "/friend-requests", json={"handle": "grace", "greeting": "Hi Grace, it's Ada from the club"})
    grace.ok("GET", "/friend-requests")
    grace.ok("POST", f"/friend-requests/{asked['request']['id']}/accept")
    with rec.pause():
        for handle, friend in (("alan", alan), ("tmp", tmp)):
            sent = ada.ok("POST", "/friend-requests", json={"handle": handle})
            friend.ok("POST", f"/friend-requests/{sent['request']['id']}/accept")
        theirs = linus.ok("POST", "/friend-requests", json={"handle": "ada", "greeting": "We met at the regatta"})
    ada.ok("POST", f"/friend-requests/{theirs['request']['id']}/decline")
    with rec.pause():
        mine = ada.ok("POST", "/friend-requests", json={"handle": "linus"})
    ada.ok("POST", f"/friend-requests/{mine['request']['id']}/cancel")
    ada.ok("GET", "/friends")
    ada.ok("PATCH", f"/friends/{grace.id}", json={"remark": "Grace (sailing club)"})
    with rec.pause():
        mallory.ok("POST", "/friend-requests", json={"handle": "ada", "greeting": "Cheap boats!!!"})
    ada.ok("PUT", f"/blocks/{mallory.id}")
    ada.ok("GET", "/blocks")
    ada.ok("DELETE", f"/blocks/{mallory.id}")
    ada.ok("POST", "/blocks", json={"handle": "mallory"})
    ada.ok("DELETE", f"/friends/{tmp.id}")

    # chats
    chat = ada.ok("POST", "/conversations/direct", json={"user_id": grace.id})["id"]
    ferry = {"id": "c7f3a9e1-ferry", "text": "Are we still on for the 6 o'clock ferry?"}
    asked_at = ada.ok("POST", f"/conversations/{chat}/messages", json=ferry)["message"]["seq"]
    ada.ok("POST", f"/conversations/{chat}/messages", json=ferry)  # the resend: 200, nothing stored
    with rec.pause():
        grace.ok("POST", f"/conversations/{chat}/messages",
                 json={"id": "e2b8d4c0-pier", "text": "Yes! Meet at pier 3", "reply_to": asked_at})  # fmt: skip
        grace.ok("POST", f"/conversations/{chat}/messages", json={"id": "a91f0c55-place", "location": {
            "latitude": 54.3233, "longitude": 10.1228, "label": "Pier 3, Kiel harbour", "scale": 17}})  # fmt: skip
        typo = ada.ok("POST", f"/conversations/{chat}/messages", json={"id": "5d0e7b21-typo", "text": "See you at 5"})
    ada.ok("POST", f"/conversations/{chat}/messages/{typo['message']['seq']}/recall")
    with rec.pause():
        last = ada.ok("POST", f"/conversations/{chat}/messages", json={"id": "b4c6e8f0-photo", "media_id": photo})
    grace.ok("GET", f"/conversations/{chat}/messages", params={"limit": 3})
    grace.ok("POST", f"/conversations/{chat}/read", json={"seq": last["message"]["seq"]})
    grace.ok("POST", f"/conversations/{chat}/messages/{asked_at}/hide")  # deleted for grace only
    grace.ok("PATCH", f"/conversations/{chat}/prefs", json={"pinned": True})
    group = ada.ok("POST", "/conversations/groups", json={"name": "Sailing club", "user_ids": [grace.id]})["id"]
    ada.ok("PATCH", f"/conversations/{group}", json={"owner_only_adds": True})
    ada.ok("POST", f"/conversations/{group}/members", json={"user_ids": [alan.id]})
    ada.ok("GET", f"/conversations/{group}/members")
    ada.ok("PUT", f"/conversations/{group}/avatar", json={"media_id": photo})
    ada.ok("DELETE", f"/conversations/{group}/avatar")
    with rec.pause():
        ada.ok("PUT", f"/conversations/{group}/avatar", json={"media_id": photo})
        ada.ok("POST", f"/conversations/{group}/messages",
               json={"id": "0f4e2a6c-race", "text": "@Grace race on Sunday?", "mentions": [grace.id]})  # fmt: skip
    grace.ok("GET", "/conversations")
    grace.ok("GET", f"/conversations/{chat}")

    # invite links
    ada.ok("GET", "/me/invite-link")
    mine = ada.ok("POST", "/me/invite-link")["token"]  # a new one: the old stops working
    ada.ok("GET", "/me/invite-link/qr")
    linus.ok("POST", "/invite-links/open", json={"token": mine})
    link = ada.ok("POST", f"/conversations/{group}/invite-links", json={"expires_in": 86400, "max_uses": 10})
    with rec.pause():
        spare = ada.ok("POST", f"/conversations/{group}/invite-links", json={"expires_in": 3600})
    ada.ok("GET", f"/conversations/{group}/invite-links")
    ada.ok("GET", f"/conversations/{group}/invite-links/{link['id']}/qr")
    ada.ok("DELETE", f"/conversations/{group}/invite-links/{spare['id']}")
    linus.ok("POST", "/group-links/open", json={"token": link["token"]})
    linus.ok("POST", "/group-links/picture", json={"token": link["token"]})
    linus.ok("POST", "/group-links/join", json={"token": link["token"]})
    ada.ok("DELETE", f"/conversations/{group}/members/{alan.id}")
    grace.ok("POST", f"/conversations/{group}/leave")
    ada.ok("GET", "/search/messages", params={"q": "ferry"})

    # moments
    morning = {"id": "3e9a1c7b-harbour", "text": "Morning light over the harbour", "images": [photo],
               "place": "North pier", "audience": "friends"}  # fmt: skip
    post = ada.ok("POST", "/moments/posts", json=morning)["id"]
    ada.ok("POST", "/moments/posts", json=morning)  # the repost: 200, the first post
    grace.ok("PUT", f"/moments/posts/{post}/like")
    said = grace.ok("POST", f"/moments/posts/{post}/comments", json={"text": "Beautiful! Was that at six?"})
    with rec.pause():
        ada.ok(
            "POST", f"/moments/posts/{post}/comments", json={"text": "5:40, with the tide in", "reply_to": said["id"]}
        )
        alan.ok("PUT", f"/moments/posts/{post}/like")
    alan.ok("DELETE", f"/moments/posts/{post}/like")
    with rec.pause():
        oops = grace.ok("POST", f"/moments/posts/{post}/comments", json={"text": "wrong post, sorry"})
    grace.ok("DELETE", f"/moments/comments/{oops['id']}")
    grace.ok("GET", "/moments/timeline", params={"limit": 5})
    grace.ok("GET", f"/moments/users/{ada.id}/posts", params={"limit": 5})
    ada.ok("GET", f"/moments/posts/{post}")
    with rec.pause():
        aside = ada.ok("POST", "/moments/posts", json={"id": "8b2d4f6a-aside", "text": "Just for Grace",
                                                        "audience": "only", "people": [grace.id]})  # fmt: skip
    ada.ok("DELETE", f"/moments/posts/{aside['id']}")
    ada.ok("GET", "/moments/settings")
    ada.ok("PUT", "/moments/settings", json={"window_days": 30})

    # official accounts
    harbour = {"name": "Harbour News", "kind": "subscription", "description": "Ferry times, tides and harbour news"}
    created = ada.ok("POST", "/official-accounts", json=harbour)
    account = created["account"]["id"]
    a = f"/official-accounts/{account}"
    ada.ok("GET", "/official-accounts/mine")
    ada.ok("GET", f"{a}/console")
    ada.ok("PUT", f"{a}/webhook", json={"webhook_url": bot_url, "token": WEBHOOK_TOKEN, "mode": "plain"})
    ada.ok("PUT", f"{a}/avatar", json={"media_id": photo})
    ada.ok("DELETE", f"{a}/avatar")
    with rec.pause():
        ada.ok("PUT", f"{a}/avatar", json={"media_id": photo})
    client = kith_client(server.url, created["account"]["app_id"], created["app_secret"])
    timetable = {"type": "view", "name": "Timetable", "url": "https://harbour.example.org/ferries"}
    client.menu.create({"button": [{"type": "click", "name": "Tides", "key": "TIDES"}, timetable]})
    grace.ok("GET", "/official-accounts", params={"q": "harbour"})
    followed = grace.ok("PUT", f"{a}/follow")
    with rec.pause():
        history = f"/conversations/{followed['conversation_id']}/messages"
        wait_for(lambda: grace.ok("GET", history)["messages"])  # the bot's greeting
    grace.ok("GET", a)
    grace.ok("POST", f"{a}/menu-events", json={"key": "TIDES"})
    qr = client.qrcode.create(
        {"expire_seconds": 1800, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 7}}}
    )
    ticket = rec.secret(qr["ticket"], PLACEHOLDERS["ticket"])
    alan.ok("POST", "/official-accounts/scan", json={"ticket": ticket})
    alan.ok("DELETE", f"{a}/follow")
    thumb = client.media.upload("image", ("cover.png", mediafiles.png(120, 60)))["media_id"]
    news = add_articles(client, [{"thumb_media_id": thumb, "title": "Ferry timetable for the summer",
                                          "author": "Harbour office", "digest": "More crossings from June",
                                          "content": "<p>From June the ferry runs <b>every 30 minutes</b>.</p>",
                                          "content_source_url": "https://harbour.example.org/ferries",
                                          "show_cover_pic": 1}])["media_id"]  # fmt: skip
    grace.ok("GET", f"/articles/{news}")
    with rec.pause():
        wait_for(lambda: len(ada.ok("GET", f"{a}/deliveries")["deliveries"]) >= 4)
    ada.ok("GET", f"{a}/deliveries")
    ada.ok("POST", f"{a}/secret")

    # sync
    with rec.pause():
        head = grace.ok("GET", "/sync", params={"limit": 1})["head"]
    grace.ok("GET", "/sync", params={"since": head - 3, "limit": 3})

    # push: at the end, so that nothing is pushed to the (made-up) push service
    alan.ok("GET", "/push/key")
    browser = ec.generate_private_key(ec.SECP256R1()).public_key()  # a browser's key pair, made as one makes it
    point = browser.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    keys = {"p256dh": base64.urlsafe_b64encode(point).decode().rstrip("="), "auth": PUSH_AUTH}
    subscription = {"endpoint": PUSH_ENDPOINT, "keys": keys, "expirationTime": None}
    alan.ok("POST", "/push/subscriptions", json=subscription)
    alan.ok("POST", "/push/subscriptions", json=subscription)  # again: this device's one, replaced (200)
    alan.ok("GET", "/push/subscriptions")
    alan.ok("GET", "/push/settings")
    alan.ok("PUT", "/push/settings", json={"previews": False})
    alan.ok("DELETE", "/push/subscriptions/current")

    # your data, and leaving
    ada.ok("GET", "/me/export")
    tmp.ok("POST", "/me/password", json={"old_password": PASSWORD, "new_password": NEW_PASSWORD})
    leaver.ok("DELETE", "/me", json={"password": PASSWORD})


def bot() -> Any:
    """The account's webhook: a werobot bot that greets, and answers the menu's Tides button."""
    import werobot

    robot = werobot.WeRoBot(token=WEBHOOK_TOKEN, SESSION_STORAGE=False)

    @robot.subscribe
    def hello(message: Any) -> str:
        return "Welcome to Harbour News! Tap Tides for today's high water."

    @robot.key_click("TIDES")
    def tides(message: Any) -> str:
        return "High water today at 14:32, low water at 20:47."

    @robot.unsubscribe
    def bye(message: Any) -> str:
        return "Sorry to see you go"  # nobody reads it: the follower has gone

    return robot


def record() -> dict[str, Any]:
    """Run the story against a fresh server; the examples, or AssertionError naming what it missed."""
    rec = Recorder(ENDPOINTS)
    port = free_port()
    httpd = serve_wsgi(bot().wsgi, port)
    bot_url = f"http://127.0.0.1:{port}/wechat"
    with tempfile.TemporaryDirectory() as folder:
        server = Server(Path(folder) / "data", {"KITH_PLATFORM_ALLOW_PRIVATE_WEBHOOKS": "true"}).start()
        try:
            story(server, rec, bot_url)
        finally:
            server.stop()
            httpd.shutdown()
            httpd.server_close()
    missing = [
        f"{key(e)} ({status})"
        for e in ENDPOINTS
        for status in sorted(success_statuses(e))
        if str(status) not in rec.operations.get(key(e), {}).get("responses", {})
    ]
    assert not missing, f"story() in {__file__} gets no answer of: {', '.join(missing)}"
    return rec.document(server.url, bot_url)


def main() -> None:
    examples = record()
    OUT.write_text(json.dumps(examples, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(examples['operations'])} operations recorded in {OUT}")


if __name__ == "__main__":
    main()
