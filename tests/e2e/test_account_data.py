"""A user's own data, against a real server: "download my data" (a zip) and deleting the account."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from e2e.dbsnapshot import unchanged
from helpers import PASSWORD, Server, Socket, User, befriend, direct, register

# -- download my data ---------------------------------------------------------------------------


async def download(user: User) -> zipfile.ZipFile:
    response = await user.call("GET", "/me/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == f'attachment; filename="kith-{user.handle}-data.zip"'
    return zipfile.ZipFile(io.BytesIO(response.content))


def read(zf: zipfile.ZipFile, name: str) -> Any:
    return json.loads(zf.read(name))


async def test_the_export_holds_what_the_user_sees_and_nothing_of_others(make_server: Callable[..., Server]) -> None:
    # hundreds of messages in a few seconds: faster than the send limits let a person type
    server = make_server(env={"KITH_RATE_SEND_DEVICE": "off", "KITH_RATE_SEND_USER": "off"})
    alice, bob, carol, dave = [await register(server) for _ in range(4)]
    await befriend(alice, bob)
    await befriend(bob, carol)
    await befriend(alice, carol)
    await befriend(alice, dave)
    await alice.ok("PATCH", f"/friends/{bob.id}", json={"remark": "Bobby"})
    await alice.ok("PUT", f"/blocks/{dave.id}")
    to_bob = await direct(alice, bob)
    for n in range(450):  # more than two history pages
        sender = alice if n % 3 else bob
        await sender.ok("POST", f"/conversations/{to_bob}/messages", json={"id": f"d{n}", "text": f"direct {n}"})
    oops = await alice.ok("POST", f"/conversations/{to_bob}/messages", json={"id": "oops", "text": "recall me"})
    await alice.ok("POST", f"/conversations/{to_bob}/messages/{oops['message']['seq']}/recall")
    # dave's message to alice, who blocked him: only dave sees it
    to_dave = await direct(dave, alice)
    await dave.ok("POST", f"/conversations/{to_dave}/messages", json={"id": "h1", "text": "hidden from alice"})
    # a group alice joins late: she sees it from her join on
    group = await bob.ok("POST", "/conversations/groups", json={"name": "club", "user_ids": [carol.id]})
    await carol.ok("POST", f"/conversations/{group['id']}/messages", json={"id": "g0", "text": "before alice"})
    await bob.ok("POST", f"/conversations/{group['id']}/members", json={"user_ids": [alice.id]})
    await carol.ok("POST", f"/conversations/{group['id']}/messages", json={"id": "g1", "text": "after alice"})
    # bob and carol's own chat: none of alice's business
    secret = await direct(bob, carol)
    await bob.ok("POST", f"/conversations/{secret}/messages", json={"id": "s1", "text": "a secret of bob and carol"})
    await carol.ok("POST", "/friend-requests", json={"handle": dave.handle, "greeting": "carol asks dave"})

    zf = await download(alice)
    names = set(zf.namelist())
    conversations = await alice.ok("GET", "/conversations")
    ids = sorted(c["id"] for c in conversations["conversations"])
    with_carol = await direct(alice, carol)  # opened by their friendship, never written in
    assert ids == sorted([to_bob, to_dave, group["id"], with_carol])
    assert names == {
        "profile.json",
        "devices.json",
        "contacts.json",
        "conversations.json",
        "moments.json",
        "media.json",
    } | {f"messages/{cid}.json" for cid in ids}
    assert read(zf, "profile.json")["user"] == await alice.ok("GET", "/me")
    assert read(zf, "devices.json")["devices"] == (await alice.ok("GET", "/me/devices"))["devices"]
    contacts = read(zf, "contacts.json")
    assert contacts["friends"] == (await alice.ok("GET", "/friends"))["friends"]
    assert {f["user"]["id"]: f["remark"] for f in contacts["friends"]}[bob.id] == "Bobby"
    assert [u["id"] for u in contacts["blocked"]] == [dave.id]
    assert contacts["requests"] == await alice.ok("GET", "/friend-requests")
    listed = read(zf, "conversations.json")["conversations"]
    assert sorted(c["conversation"]["id"] for c in listed) == ids
    club = next(c for c in listed if c["conversation"]["id"] == group["id"])
    assert sorted(m["user"]["id"] for m in club["members"]) == sorted([alice.id, bob.id, carol.id])
    for cid in ids:
        exported = read(zf, f"messages/{cid}.json")
        assert exported["conversation_id"] == cid
        assert exported["messages"] == await alice.history(cid), cid
    direct_messages = read(zf, f"messages/{to_bob}.json")["messages"]
    assert len(direct_messages) == 451
    assert direct_messages[-1]["recalled"] is True and direct_messages[-1]["text"] == ""
    assert read(zf, f"messages/{to_dave}.json")["messages"] == []
    assert [m["text"] for m in read(zf, f"messages/{group['id']}.json")["messages"] if m["kind"] == "text"] == [
        "after alice"
    ]
    everything = b"".join(zf.read(n) for n in names)
    for absent in (b"hidden from alice", b"before alice", b"a secret of bob and carol", b"recall me", b"carol asks"):
        assert absent not in everything
    for user in (alice, bob, carol, dave):
        await user.aclose()


async def test_the_export_needs_a_session(server: Server) -> None:
    alice = await register(server)
    await alice.ok("DELETE", "/sessions/current")
    response = await alice.call("GET", "/me/export")
    assert response.status_code == 401 and response.json()["error"]["code"] == "session_ended"
    await alice.aclose()


# -- deleting the account -------------------------------------------------------------------------


async def test_deleting_an_account(server: Server) -> None:
    alice, bob, carol = [await register(server) for _ in range(3)]
    await befriend(alice, bob)
    await befriend(alice, carol)
    await befriend(bob, carol)
    laptop = await alice.new_device("laptop")
    to_bob = await direct(alice, bob)
    await alice.ok("POST", f"/conversations/{to_bob}/messages", json={"id": "a1", "text": "from alice to bob"})
    await bob.ok("POST", f"/conversations/{to_bob}/messages", json={"id": "b1", "text": "from bob to alice"})
    group = await alice.ok("POST", "/conversations/groups", json={"name": "g", "user_ids": [bob.id, carol.id]})
    await alice.ok("POST", f"/conversations/{group['id']}/messages", json={"id": "a2", "text": "alice in the group"})
    sockets = [await Socket.connect(alice), await Socket.connect(laptop)]
    bob_socket = await Socket.connect(bob)

    # the wrong password (or none) changes nothing
    async with unchanged(server, alice):
        wrong = await alice.call("DELETE", "/me", json={"password": PASSWORD + "x"})
        empty = await alice.call("DELETE", "/me")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_password"
    assert empty.status_code == 400

    assert (await alice.call("DELETE", "/me", json={"password": PASSWORD})).status_code == 204
    for sock in sockets:  # every session ends at once
        await sock.wait_for(lambda s=sock: s.close_code is not None)
        assert sock.close_code == 4003
    for user in (alice, laptop):
        assert (await user.call("GET", "/me")).status_code == 401
    signed_in = await alice.http.post("/api/v1/sessions", json={"handle": alice.handle, "password": PASSWORD})
    assert signed_in.status_code == 401

    tomb = {"id": alice.id, "handle": f"deleted-{alice.id}", "display_name": "Deleted user", "status": ""}
    tomb["deleted"] = True
    # bob is told, at once
    await bob_socket.wait_for(
        lambda: any(e["type"] == "profile.updated" and e["data"]["user"] == tomb for e in bob_socket.events)
    )
    assert any(e["type"] == "friend.removed" and e["data"] == {"user_id": alice.id} for e in bob_socket.events)
    # bob still sees alice's messages, from "Deleted user"
    conversation = await bob.ok("GET", f"/conversations/{to_bob}")
    assert conversation["peer"] == tomb
    texts = [(m["sender_id"], m["text"]) for m in await bob.history(to_bob)]
    assert texts == [(alice.id, "from alice to bob"), (bob.id, "from bob to alice")]
    in_group = await carol.history(group["id"])
    assert (alice.id, "alice in the group") in [(m["sender_id"], m["text"]) for m in in_group]
    assert in_group[-1]["system"]["action"] == "member_left" and in_group[-1]["system"]["actor"] == tomb
    members = await carol.ok("GET", f"/conversations/{group['id']}/members")
    assert [(m["user"]["id"], m["role"]) for m in members["members"]] == [(bob.id, "owner"), (carol.id, "member")]
    assert [f["user"]["id"] for f in (await bob.ok("GET", "/friends"))["friends"]] == [carol.id]
    # bob can no longer write to a deleted account
    refused = await bob.call("POST", f"/conversations/{to_bob}/messages", json={"id": "b2", "text": "still there?"})
    assert refused.status_code == 403

    # every table: nothing of alice's but the tombstone and the messages the others received
    dump = server.dump()
    for table, rows in dump.items():
        if table in ("users", "messages", "schema_migrations"):
            continue
        with_columns = [dict(zip(server_columns(server, table), r, strict=True)) for r in rows]
        for row in with_columns:
            for column in ("user_id", "friend_id", "from_id", "to_id", "blocked_id", "owner_id"):
                assert row.get(column) != alice.id, (table, row)
    assert all(alice.handle not in v for rows in dump.values() for r in rows for v in r if isinstance(v, str))
    messages = server.rows("SELECT body FROM messages WHERE sender_id = ? ORDER BY id", alice.id)
    assert messages == [("from alice to bob",), ("alice in the group",)]

    # the handle is free again: someone new may take it
    again = await register(server, alice.handle)
    assert again.id != alice.id
    for sock in (bob_socket,):
        await sock.close()
    for user in (alice, laptop, bob, carol, again):
        await user.aclose()


def server_columns(server: Server, table: str) -> list[str]:
    from backends import Reader

    with Reader(server.store) as reader:
        return reader.columns(table)
