"""Moving a deployment between stores: SQLite -> PostgreSQL -> SQLite keeps every row, and works after.

It needs both stores, so it runs with the postgres backend (its ids say ``[postgres]``).
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import mediafiles
import pytest
from backends import Reader, Store, create_database, drop_database, only_on, query, scale_out_env
from domain import Kit
from helpers import PASSWORD, Server, befriend, register, sign_in
from pushservice import Receiver

from kith.accounts.models import Caller
from kith.events import Writer
from kith.platform import store as store_platform
from kith.push import store as push_store
from kith.storage.transfer import TABLES, TransferError, copy

pytestmark = only_on("postgres")


async def build_deployment(path: Path) -> dict[str, Any]:
    """A small deployment with a bit of everything, made through the services on SQLite."""
    kit = await Kit.open(path)
    try:
        people: dict[str, Caller] = {}
        for handle in ("alice", "bob", "carol", "dave", "erin", "frank", "gina"):
            session = await kit.accounts.register(handle, f"{handle.title()} Ünïcode 🙂", PASSWORD, "phone")
            people[handle] = Caller(session.user.id, session.device.id)
        alice, bob, carol, dave, erin, frank, gina = people.values()
        await kit.accounts.sign_in("alice", PASSWORD, "laptop", device_key="k" * 43)  # a second device, keyed
        await kit.accounts.update_profile(alice, status="on holiday ⛱")
        for a, b in ((alice, bob), (alice, carol), (alice, dave), (bob, carol)):
            await kit.friends(a, b)
        await kit.contacts.set_remark(alice, bob.user_id, "Bobby")
        # requests: one pending, one declined, one cancelled, one silenced by a block
        await kit.contacts.send_request(frank, greeting="hello, it's frank", handle="alice")
        declined = (await kit.contacts.send_request(gina, handle="bob"))["request"]
        await kit.contacts.decline(bob, declined.id)
        cancelled = (await kit.contacts.send_request(gina, handle="carol"))["request"]
        await kit.contacts.cancel(gina, cancelled.id)
        await kit.contacts.block(alice, handle="erin")
        await kit.contacts.send_request(erin, greeting="let me in", handle="alice")
        # a group with messages, a reply, a recall, read marks, preferences and a member who left
        group = await kit.chats.create_group(alice, "Weekend ⛰", [bob.user_id, carol.user_id, dave.user_id])
        first = await kit.chats.send(alice, group.id, "g1", "who's in for Saturday?")
        await kit.chats.send(bob, group.id, "g2", "me!", reply_to=first.message.seq)
        oops = await kit.chats.send(carol, group.id, "g3", "wrong chat, sorry")
        await kit.chats.recall(carol, group.id, oops.message.seq)
        await kit.chats.hide(dave, group.id, first.message.seq)  # deleted for dave only
        await kit.chats.send(dave, group.id, "g4", "a 'quote' \"and\" a \\ backslash; DROP TABLE users")
        await kit.chats.send(bob, group.id, "g6", "@Carol Ünïcode 🙂 you too?", mentions=[carol.user_id])
        await kit.chats.mark_read(bob, group.id, first.message.seq)
        # media: a photo in the group, an avatar
        photo = await kit.media.do_upload(alice, "image", "beach.jpg", chunks(mediafiles.jpeg(64, 48)))
        await kit.chats.send(alice, group.id, "g5", "", media_id=photo.id)
        await kit.accounts.set_avatar(alice, photo.id)
        # an official account with a follower, a token, a delivery, a reply and a mass send
        created = await kit.platform.create_account(bob, "Harbour News 🙂", "service", "what's in, what's out")
        account = await kit.db.read(
            lambda tx: tx.one("SELECT * FROM official_accounts WHERE id = ?", (created.account.id,))
        )
        await kit.platform.follow(alice, account["id"])
        await kit.platform.issue_token(account["app_id"], created.app_secret, "client_credential")
        await kit.platform.mass_send(account, {"msgtype": "text", "text": {"content": "regatta!"}}, None)
        qr = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "poster"}}}
        await kit.platform.qr_create(account, qr, "https://kith.example.org")
        vip = await kit.platform.tag_create(account, {"tag": {"name": "VIP ⛵"}})
        openid = (await kit.platform.followers(account, ""))["data"]["openid"][0]
        await kit.platform.tag_followers(account, {"tagid": vip["tag"]["id"], "openid_list": [openid]}, add=True)
        await kit.db.write(
            lambda tx: store_platform.add_delivery(tx, account["id"], "subscribe", "no_reply", 3, "", 1, 100)
        )
        await kit.db.write(lambda tx: store_platform.claim_reply(tx, account["id"], 12345))
        # what the account publishes: permanent material, articles, a template from the library
        await kit.platform.material.add(account, "image", "quay.png", chunks(mediafiles.png(32, 32)), None, None,
                                        "https://kith.example.org")  # fmt: skip
        await kit.db.write(lambda tx: tx.execute(
            "INSERT INTO account_news (media_id, account_id, articles, created_at) VALUES ('n1', ?, '[]', 1)",
            (account["id"],)))  # fmt: skip
        await kit.platform.templates.set_industry(account, {"industry_id1": 1, "industry_id2": 37})
        paid = await kit.platform.templates.add(account, {"template_id_short": "TM00015"})
        await kit.platform.templates.send(account, {"touser": openid, "template_id": paid["template_id"],
                                                    "data": {"first": {"value": "paid ⛵"}}})  # fmt: skip
        await kit.chats.set_prefs(carol, group.id, muted=True, pinned=True)
        await kit.chats.leave(dave, group.id)
        kit.clock.advance(60)
        # direct conversations, one of them with a friend alice has blocked since
        ab = await kit.chats.open_direct(alice, bob.user_id)
        for n in range(30):
            await kit.chats.send(alice if n % 2 else bob, ab.id, f"ab{n}", f"message {n} " + "x" * n)
        ad = await kit.chats.open_direct(dave, alice.user_id)
        await kit.chats.send(dave, ad.id, "d1", "before the block")
        await kit.contacts.block(alice, dave.user_id)
        quiet = await kit.chats.send(dave, ad.id, "d2", "after the block")  # only dave sees it
        assert quiet.message.seq == 2
        # Moments: a post with a photo for some friends, a like, a comment and a reply, a time window
        post = await kit.moments.post(
            alice, "m1", "sunrise 🌅", [photo.id], "Harbour", "only", [bob.user_id, carol.user_id]
        )
        await kit.moments.like(bob, post.id, on=True)
        said = await kit.moments.comment(bob, post.id, "early bird!")
        await kit.moments.comment(carol, post.id, "jealous", reply_to=said.id)
        await kit.moments.set_window(alice, 30)
        # invite links: alice's own (rotated once), and two of the group's
        await kit.contacts.invite_link(alice)
        await kit.contacts.rotate_invite(alice)
        await kit.contacts.invite_link(bob)
        await kit.chats.create_link(alice, group.id)
        await kit.chats.create_link(alice, group.id, expires_in=3600, max_uses=10)
        await kit.outbox.drain_once()  # the fan-out writes the timelines
        # Web Push: a device's subscription, a preview setting, a coalescing mark
        browser = Receiver("https://push.example.org/wpush/v2/alice-phone").subscription()
        await kit.push.subscribe(alice, browser["endpoint"], browser["keys"]["p256dh"], browser["keys"]["auth"])
        await kit.push.set_settings(bob, previews=True)
        await kit.db.write(lambda tx: push_store.claim(tx, alice.user_id, ab.id, kit.clock.now_ms(), 15_000))
        # work still waiting in the outbox moves with the deployment
        await Writer(kit.db, kit.bus, kit.clock).run(lambda tx, log: log.enqueue("webhook", b'{"to": "x"}'))
        return {"group": group.id, "direct": ab.id}
    finally:
        await kit.close()


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def contents(store: Store) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every row of every table; the migrations by version and name (not when they ran)."""
    with Reader(store) as reader:
        dump = reader.dump()
    dump["schema_migrations"] = [row[:2] for row in dump["schema_migrations"]]
    return {table: Counter(rows) for table, rows in dump.items()}


def assert_same(expected: dict[str, Counter[Any]], actual: dict[str, Counter[Any]], label: str) -> None:
    assert sorted(actual) == sorted(expected), f"{label}: other tables"
    for table in expected:
        missing, extra = expected[table] - actual[table], actual[table] - expected[table]
        assert not missing and not extra, f"{label}, {table}: missing {list(missing)[:3]}, extra {list(extra)[:3]}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty database, without even the schema: the copy migrates it."""
    url = create_database()
    yield url
    drop_database(url)


async def test_a_deployment_goes_to_postgresql_and_back_row_for_row(pg_url: str, tmp_path: Path) -> None:
    source = tmp_path / "kith.db"
    made = await build_deployment(source)
    original = contents(source)
    assert {table for table, _ in TABLES} == set(original) - {"schema_migrations"}, "the copy knows every table"
    assert all(original[table] for table, _ in TABLES), "every table holds rows to copy"
    assert sum(original["messages"].values()) > 35
    with Reader(source) as reader:  # the awkward cases are all there to be copied
        for what, sql in {
            "a recalled message": "SELECT COUNT(*) FROM messages WHERE recalled_at IS NOT NULL",
            "a reply": "SELECT COUNT(*) FROM messages WHERE reply_to_seq IS NOT NULL AND reply_preview IS NOT NULL",
            "a message only its sender sees": "SELECT COUNT(*) FROM messages WHERE only_sender = 1",
            "a silenced request": "SELECT COUNT(*) FROM friend_requests WHERE silenced = 1",
            "requests in every state": "SELECT COUNT(DISTINCT status) - 2 FROM friend_requests",
            "a read mark": "SELECT COUNT(*) FROM members WHERE read_seq > joined_seq",
            "a muted, pinned member": "SELECT COUNT(*) FROM members WHERE muted = 1 AND pinned = 1",
        }.items():
            assert reader.rows(sql)[0][0] > 0, f"the deployment lacks {what}"

    out = io.StringIO()
    counts = copy(f"sqlite:///{source}", pg_url, out)
    assert counts == {table: sum(original[table].values()) for table, _ in TABLES}
    assert "verified" in out.getvalue()
    assert_same(original, contents(pg_url), "SQLite -> PostgreSQL")

    # and back, through the command an operator runs
    back = tmp_path / "back" / "kith.db"
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "kith", "migrate-store", "--from", pg_url, "--to", f"sqlite:///{back}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert_same(original, contents(back), "PostgreSQL -> SQLite")
    with Reader(back) as reader:
        assert reader.rows("PRAGMA foreign_key_check") == []
        assert reader.rows("PRAGMA integrity_check") == [("ok",)]

    # a target that holds data is refused, with a clear message, and left as it was
    for source_url, target in ((f"sqlite:///{source}", pg_url), (pg_url, f"sqlite:///{back}")):
        target_store: Store = target if target.startswith("postgresql") else Path(target.removeprefix("sqlite:///"))
        before = contents(target_store)
        with pytest.raises(TransferError, match="already holds data"):
            copy(source_url, target, io.StringIO())
        assert_same(before, contents(target_store), "after a refused copy")

    # the PostgreSQL deployment works: old users sign in, new rows get new ids, seqs carry on
    maxima = {t: query(pg_url, f"SELECT MAX(id) FROM {t}")[0][0] for t in ("users", "devices", "messages")}
    server = Server(tmp_path / "node", scale_out_env(pg_url)).start()
    try:
        alice = await sign_in(server, "alice", "new laptop")
        newcomer = await register(server, "newcomer")
        assert newcomer.id > maxima["users"] and alice.device_id > maxima["devices"]
        await befriend(newcomer, alice)
        direct = (await newcomer.ok("POST", "/conversations/direct", json={"user_id": alice.id}))["id"]
        sent = await newcomer.ok("POST", f"/conversations/{direct}/messages", json={"id": "n1", "text": "hi alice"})
        assert sent["message"]["id"] > maxima["messages"] and sent["message"]["seq"] == 1
        in_group = await alice.ok(
            "POST", f"/conversations/{made['group']}/messages", json={"id": "later", "text": "back online"}
        )
        history = await alice.ok("GET", f"/conversations/{made['group']}/messages")
        assert in_group["message"]["seq"] == history["messages"][-2]["seq"] + 1
        events = await alice.sync_all()
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), "alice's log carries on gapless"
        assert "hi alice" in [e["data"].get("text") for e in events if e["type"] == "message"]
        for user in (alice, newcomer):
            await user.aclose()
    finally:
        server.stop()
