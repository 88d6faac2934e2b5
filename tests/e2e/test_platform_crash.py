"""Official accounts' outbox work survives SIGKILL: webhook deliveries and a mass send's fan-out.

A real server process (SQLite file or PostgreSQL, per `KITH_TEST_BACKENDS`) is killed with SIGKILL
and started again; its webhook is a real werobot bot on 127.0.0.1, behind a stand-in that records
every envelope and can hold a request open until the test lets it go. Holding a delivery open is
also how a test pins the outbox in the state it wants when the server dies: the worker runs the jobs
it claimed together and marks them done only when the slowest has finished, so a held delivery
keeps every job of its round claimed (already run or not) until the kill.

The outbox lease is 3 s here (60 s by default), so the jobs of the dead server come back soon.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import defusedxml.ElementTree as ElementTree
import pytest
import werobot
from domain import Kit
from helpers import Server, User, free_port, kith_client, register, serve_wsgi, sign_in

from kith.accounts import store as accounts_store
from kith.accounts.models import Caller

LEASE_S = 3
ENV = {"KITH_PLATFORM_ALLOW_PRIVATE_WEBHOOKS": "true", "KITH_OUTBOX_LEASE_SECONDS": str(LEASE_S)}
TOKEN = "crashtoken1"
FOLLOWERS = 1_200  # five batches of the fan-out: 250 x 4 and 200


class Hook:
    """A werobot bot that echoes texts, behind a WSGI wrapper that records each POSTed envelope and
    holds a text whose content is held (``hold``) until it is released, retries of it included."""

    def __init__(self) -> None:
        robot = werobot.WeRoBot(token=TOKEN, SESSION_STORAGE=False)
        robot.logger.disabled = True
        robot.text(lambda message: "You said: " + message.content)
        robot.subscribe(lambda message: "Welcome aboard")
        self.robot = robot
        self.posts: list[dict[str, str]] = []
        self._held: dict[str, threading.Event] = {}
        self._arrived: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.url = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ["REQUEST_METHOD"] == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            fields = {child.tag: child.text or "" for child in ElementTree.fromstring(body)}
            with self._lock:
                self.posts.append(fields)
                released = self._held.get(fields.get("Content", ""))
                arrived = self._arrived.get(fields.get("Content", ""))
            if released is not None and arrived is not None:
                arrived.set()
                released.wait(30)
        return self.robot.wsgi(environ, start_response)

    def hold(self, content: str) -> None:
        with self._lock:
            self._held[content], self._arrived[content] = threading.Event(), threading.Event()

    def release(self, content: str) -> None:
        self._held[content].set()

    async def arrived(self, content: str, timeout: float = 10) -> None:
        assert await asyncio.to_thread(self._arrived[content].wait, timeout), f"{content!r} never reached the bot"

    def times_seen(self) -> Counter[str]:
        """How many times each text reached the bot (every try counts)."""
        with self._lock:
            return Counter(p["Content"] for p in self.posts if p.get("MsgType") == "text")

    def msg_ids(self) -> dict[str, set[str]]:
        with self._lock:
            out: dict[str, set[str]] = {}
            for p in self.posts:
                if p.get("MsgType") == "text":
                    out.setdefault(p["Content"], set()).add(p["MsgId"])
            return out

    def reports(self) -> list[dict[str, str]]:
        with self._lock:
            return [p for p in self.posts if p.get("Event") == "MASSSENDJOBFINISH"]

    def release_all(self) -> None:
        for released in list(self._held.values()):
            released.set()


@pytest.fixture
def hook() -> Iterator[Hook]:
    bot = Hook()
    port = free_port()
    httpd = serve_wsgi(bot, port, threaded=True)
    bot.url = f"http://127.0.0.1:{port}/wechat"
    yield bot
    bot.release_all()
    httpd.shutdown()
    httpd.server_close()


async def until(check: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    """Poll ``check`` (a function, or one returning an awaitable) until it returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def platform_jobs(server: Server) -> list[dict[str, Any]]:
    """The official accounts' outbox jobs, as the server left them in its database."""
    rows = server.rows(
        "SELECT topic, payload, attempts, run_after FROM outbox WHERE topic LIKE 'platform.%' ORDER BY id"
    )
    return [{"topic": t, "job": json.loads(p), "attempts": a, "run_after": r} for t, p, a, r in rows]


def delivery_state(server: Server) -> dict[str, int]:
    """Text deliveries still in the outbox: their content -> how often they were claimed."""
    return {
        j["job"]["fields"]["Content"]: j["attempts"]
        for j in platform_jobs(server)
        if j["topic"] == "platform.deliver" and j["job"]["fields"].get("MsgType") == "text"
    }


async def from_account(user: User, chat: int) -> list[str]:
    """The texts the account sent to ``user`` in their conversation, oldest first, via the API."""
    history = await user.ok("GET", f"/conversations/{chat}/messages", params={"limit": 200})
    assert not history["has_more"]
    return [m["text"] for m in history["messages"] if m["sender_id"] is None and m["kind"] == "text"]


async def synced_from_account(user: User, chat: int) -> list[str]:
    """The same, as the user's devices learn it: from the event log (``/sync`` from 0)."""
    return [
        e["data"]["text"]
        for e in await user.sync_all()
        if e["type"] == "message" and e["data"]["conversation_id"] == chat and e["data"]["sender_id"] is None
        and e["data"]["kind"] == "text"
    ]  # fmt: skip


async def say(user: User, chat: int, text: str) -> None:
    """Send a text and have it acknowledged (stored)."""
    sent = await user.call("POST", f"/conversations/{chat}/messages", json={"id": text, "text": text})
    assert sent.status_code == 201, sent.text


async def account_with_follower(server: Server, hook: Hook) -> tuple[User, int, int]:
    """An account whose webhook is ``hook``, and a follower (who followed before the webhook was set,
    so no subscribe delivery is in the way) with the conversation's id, and the account's."""
    owner, reader = await register(server), await register(server)
    created = await owner.ok("POST", "/official-accounts", json={"name": "Crash News", "kind": "subscription"})
    account_id = created["account"]["id"]
    chat = (await reader.ok("PUT", f"/official-accounts/{account_id}/follow"))["conversation_id"]
    await owner.ok("PUT", f"/official-accounts/{account_id}/webhook", json={"webhook_url": hook.url, "token": TOKEN})
    return reader, chat, account_id


async def test_a_delivery_held_open_by_a_dying_server_is_retried_and_its_reply_shown_once(
    make_server: Callable[..., Server], hook: Hook
) -> None:
    server = make_server(ENV)
    reader, chat, account_id = await account_with_follower(server, hook)
    newcomer = await register(server)
    hook.hold("m0")
    hook.hold("m2")
    await say(reader, chat, "m0")
    await hook.arrived("m0")  # the worker's round is held open: what follows waits, and is claimed together
    await say(reader, chat, "m1")
    await say(reader, chat, "m2")
    welcome = (await newcomer.ok("PUT", f"/official-accounts/{account_id}/follow"))["conversation_id"]
    hook.release("m0")
    await hook.arrived("m2")  # held open: its round (m1, m2 and the subscribe event) is not marked done

    async def answered() -> bool:
        return "You said: m1" in await from_account(reader, chat) and bool(await from_account(newcomer, welcome))

    await until(answered, "the replies to m1 and to the subscribe event")
    assert await from_account(reader, chat) == ["You said: m0", "You said: m1"]
    assert await from_account(newcomer, welcome) == ["Welcome aboard"]
    assert delivery_state(server) == {"m1": 1, "m2": 1}  # both claimed, neither done
    assert [j["attempts"] for j in platform_jobs(server) if j["job"]["event"] == "subscribe"] == [1]

    server.kill()
    hook.release("m2")  # the bot answers a server that is gone
    server.start()

    # the lease runs out; both come back: m1's reply was stored before, m2's never
    async def settled() -> bool:
        return not platform_jobs(server) and len(await from_account(reader, chat)) >= 3

    await until(settled, "the deliveries to be retried", timeout=LEASE_S + 15)
    assert await from_account(reader, chat) == ["You said: m0", "You said: m1", "You said: m2"]
    assert await synced_from_account(reader, chat) == ["You said: m0", "You said: m1", "You said: m2"]
    # the bot saw m1 and m2 twice, each time with the same MsgId (deduplicating is the bot's job)
    assert hook.times_seen() == {"m0": 1, "m1": 2, "m2": 2}
    assert all(len(ids) == 1 for ids in hook.msg_ids().values())
    # the subscribe event too came twice, with the same CreateTime; its reply is shown once
    subscribes = [p for p in hook.posts if p.get("Event") == "subscribe"]
    assert len(subscribes) == 2 and subscribes[0] == subscribes[1]
    assert await from_account(newcomer, welcome) == ["Welcome aboard"]
    assert await synced_from_account(newcomer, welcome) == ["Welcome aboard"]


async def test_a_message_acknowledged_but_not_yet_delivered_is_delivered_after_the_restart(
    make_server: Callable[..., Server], hook: Hook
) -> None:
    server = make_server(ENV)
    reader, chat, _ = await account_with_follower(server, hook)
    hook.hold("m0")
    await say(reader, chat, "m0")
    await hook.arrived("m0")  # the worker is busy: m1's delivery cannot start
    await say(reader, chat, "m1")
    assert delivery_state(server) == {"m0": 1, "m1": 0}  # m1 acknowledged, never claimed

    server.kill()
    hook.release("m0")
    server.start()

    async def settled() -> bool:
        return not platform_jobs(server) and len(await from_account(reader, chat)) >= 2

    await until(settled, "m1 delivered and m0 retried", timeout=LEASE_S + 15)
    assert await from_account(reader, chat) == ["You said: m1", "You said: m0"]  # m0 waited for its lease
    assert await synced_from_account(reader, chat) == ["You said: m1", "You said: m0"]
    assert hook.times_seen() == {"m0": 2, "m1": 1}
    assert all(len(ids) == 1 for ids in hook.msg_ids().values())


async def _followers(server: Server, hook: Hook) -> dict[str, Any]:
    """Before the server starts, on its store: an owner, a subscription account whose webhook is
    ``hook``, and FOLLOWERS followers (one of them ``reader``), made through the services in-process
    (the followers' users written directly, with one password hash for all: hashing 1,200 is slow)."""
    kit = await Kit.open(server.store, platform_allow_private_webhooks=True)
    try:
        kit.clock.ms = int(time.time() * 1000) - 60_000  # a real time: the mass send reaches who followed before it
        owner = await kit.user("owner")
        reader = await kit.user("reader")
        [(password_hash,)] = await kit.rows("SELECT password_hash FROM users WHERE id = ?", reader.user_id)

        def users(tx: Any) -> list[int]:
            made = [accounts_store.insert_user(tx, f"follower{n}", "Follower", password_hash, kit.clock.ms)
                    for n in range(FOLLOWERS - 1)]  # fmt: skip
            return [user_id for user_id in made if user_id is not None]

        followers = [reader, *(Caller(user_id, 0) for user_id in await kit.db.write(users))]
        created = await kit.platform.create_account(owner, "Crash News", "subscription", "news")
        account_id = created.account.id
        await asyncio.gather(*(kit.platform.follow(f, account_id) for f in followers))
        await kit.platform.set_webhook(owner, account_id, hook.url, TOKEN, "", "plain")
        return {"id": account_id, "app_id": created.account.app_id, "secret": created.app_secret}
    finally:
        await kit.close()


async def test_a_mass_send_killed_mid_fan_out_reaches_each_follower_exactly_once(
    make_server: Callable[..., Server], hook: Hook
) -> None:
    server = make_server(ENV, start=False)
    server.data_dir.mkdir(parents=True, exist_ok=True)
    account = await _followers(server, hook)
    server.start()
    reader = await sign_in(server, "reader")
    followed = await reader.ok("PUT", f"/official-accounts/{account['id']}/follow")  # already: its conversation
    chat = followed["conversation_id"]
    client = kith_client(server.url, account["app_id"], account["secret"])
    for held in ("m0", "m1", "m2"):
        hook.hold(held)

    # the worker is held busy by m0 while the mass send and m1 are queued: they are claimed together
    await say(reader, chat, "m0")
    await hook.arrived("m0")
    body = {"filter": {"is_to_all": True}, "msgtype": "text", "text": {"content": "Regatta on Sunday!"}}
    sent = await asyncio.to_thread(client.post, "message/mass/sendall", data=body)
    mass_id = sent["msg_id"]
    await say(reader, chat, "m1")
    hook.release("m0")
    # the first batch commits (and queues the next) while m1 holds its round open: the batch's job is not done
    await hook.arrived("m1")
    await until(lambda: server.rows("SELECT sent FROM mass_sends WHERE id = ?", mass_id) == [(250,)], "batch 1")
    await say(reader, chat, "m2")  # acknowledged; its delivery waits for the held round
    jobs = platform_jobs(server)
    masses = [(j["job"]["after"] > 0, j["attempts"]) for j in jobs if j["topic"] == "platform.mass"]
    assert masses == [(False, 1), (True, 0)]  # batch 1 claimed (and done, unknown to the outbox), batch 2 queued
    assert delivery_state(server) == {"m1": 1, "m2": 0}
    lease_end = max(j["run_after"] for j in jobs)
    claimed_at = lease_end - LEASE_S * 1000

    server.kill()  # 250 of 1,200 followers reached
    hook.release("m1")
    # restart a second after the claim: the first round after the restart (batch 2, and m2, which
    # the bot holds) then lasts until batch 1's lease is over, so batch 1 comes back mid-fan-out
    await asyncio.sleep(max(0.0, claimed_at / 1000 + 1 - time.time()))
    server.start()
    await hook.arrived("m2")
    await asyncio.sleep(max(0.0, lease_end / 1000 + 0.3 - time.time()))
    hook.release("m2")

    def finished() -> bool:
        [(done,)] = server.rows("SELECT finished_at FROM mass_sends WHERE id = ?", mass_id)
        return done is not None and not platform_jobs(server) and len(hook.reports()) >= 1

    await until(finished, "the fan-out to finish and its report to be delivered", timeout=LEASE_S + 20)

    # every follower has the mass message once: counted in each follower's conversation
    counts = server.rows(
        "SELECT mb.user_id, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.sender_id IS NULL"
        " AND m.kind = 'text' AND m.body = ?) FROM conversations c JOIN members mb ON mb.conversation_id = c.id"
        " WHERE c.account_id = ?",
        "Regatta on Sunday!",
        account["id"],
    )
    assert len(counts) == FOLLOWERS
    assert Counter(n for _, n in counts) == {1: FOLLOWERS}
    assert server.rows("SELECT sent, filtered FROM mass_sends WHERE id = ?", mass_id) == [(FOLLOWERS, 0)]
    [report] = hook.reports()
    assert (report["MsgID"], report["TotalCount"], report["SentCount"]) == (str(mass_id), "1200", "1200")
    # the reader sees it once, with one reply to each of their messages, through the API and through sync
    expected = ["You said: m0", "Regatta on Sunday!", "You said: m2", "You said: m1"]
    assert await from_account(reader, chat) == expected
    assert await synced_from_account(reader, chat) == expected
    assert hook.times_seen() == {"m0": 1, "m1": 2, "m2": 1}
