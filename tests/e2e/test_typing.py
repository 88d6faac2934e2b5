"""Typing indicators over the real WebSocket: direct chats only, to the peer's live sockets, never
stored or in the log, at most one a second per connection, nothing through a block; and a group's
send frame naming members."""

from __future__ import annotations

import asyncio
from typing import Any

from helpers import Server, Socket, befriend, direct, register


def typings(sock: Socket) -> list[dict[str, Any]]:
    return [f for f in sock.frames if f["type"] == "typing"]


def errors(sock: Socket) -> list[dict[str, Any]]:
    return [f["error"] for f in sock.frames if f["type"] == "error"]


async def quiet(sock: Socket, seconds: float = 0.4) -> None:
    """Give anything on its way to ``sock`` the time to arrive."""
    await asyncio.sleep(seconds)


async def test_typing_reaches_the_peers_live_sockets_and_nothing_is_stored(shared_server: Server) -> None:
    alice, bob = await register(shared_server), await register(shared_server)
    await befriend(alice, bob)
    chat = await direct(alice, bob)
    writer = await Socket.connect(alice)
    alices_laptop = await Socket.connect(await alice.new_device())
    phone, laptop = await Socket.connect(bob), await Socket.connect(await bob.new_device())
    heads = {u.handle: (await u.ok("GET", "/sync", params={"since": 0}))["head"] for u in (alice, bob)}

    await writer.send_json({"type": "typing", "conversation_id": chat})
    for sock in (phone, laptop):  # every device of the peer's with a socket open
        await sock.wait_for(lambda sock=sock: typings(sock))
        assert typings(sock) == [{"type": "typing", "conversation_id": chat, "user_id": alice.id}]
    await quiet(writer)
    assert typings(writer) == [] and typings(alices_laptop) == []  # not back to the typist's own
    assert [f for f in writer.frames if f["type"] == "error"] == []

    # more than one a second from a connection: dropped, quietly
    for _ in range(5):
        await writer.send_json({"type": "typing", "conversation_id": chat})
    await quiet(phone)
    assert len(typings(phone)) == 1
    await asyncio.sleep(1.1)
    await writer.send_json({"type": "typing", "conversation_id": chat})
    await phone.wait_for(lambda: len(typings(phone)) == 2)

    # never stored: nobody's log moved, and a socket opened later hears nothing of it
    for user in (alice, bob):
        assert (await user.ok("GET", "/sync", params={"since": 0}))["head"] == heads[user.handle]
    late = await Socket.connect(bob, since=0)
    await late.wait_for(lambda: len(late.events) == heads[bob.handle])
    await quiet(late)
    assert typings(late) == [] and all(e["type"] != "typing" for e in late.events)
    for sock in (writer, alices_laptop, phone, laptop, late):
        await sock.close()


async def test_typing_is_for_direct_chats_one_may_write_in(shared_server: Server) -> None:
    alice, bob, carol = await register(shared_server), await register(shared_server), await register(shared_server)
    await befriend(alice, bob)
    await befriend(alice, carol)
    chat = await direct(alice, bob)
    theirs = await direct(alice, carol)  # bob is not in it
    group = (await alice.ok("POST", "/conversations/groups", json={"user_ids": [bob.id, carol.id]}))["id"]
    writer, peer = await Socket.connect(bob), await Socket.connect(alice)
    outsider = await Socket.connect(carol)

    # a group: refused, and nothing reaches its members
    await writer.send_json({"type": "typing", "conversation_id": group})
    await writer.wait_for(lambda: errors(writer))
    assert errors(writer)[0]["code"] == "not_direct"
    # a chat one is not in, or none at all: as if it did not exist
    for n, conversation_id in enumerate((theirs, 2**62, 0), start=2):
        await asyncio.sleep(1.05)
        await writer.send_json({"type": "typing", "conversation_id": conversation_id})
        await writer.wait_for(lambda n=n: len(errors(writer)) == n)
        assert errors(writer)[-1]["code"] == "not_found"
    # a malformed one is an invalid frame, as any
    await writer.send_json({"type": "typing", "conversation_id": "12"})
    await writer.wait_for(lambda: len(errors(writer)) == 5)
    assert errors(writer)[-1]["code"] == "invalid_frame"
    await quiet(peer)
    assert typings(peer) == [] and typings(outsider) == []

    # through a block, either way: nothing, and nothing said about it
    await alice.ok("PUT", f"/blocks/{bob.id}")
    await asyncio.sleep(1.05)
    await writer.send_json({"type": "typing", "conversation_id": chat})
    await quiet(peer)
    assert typings(peer) == []
    assert len(errors(writer)) == 5
    await peer.send_json({"type": "typing", "conversation_id": chat})  # the blocker, to the blocked
    await quiet(writer)
    assert typings(writer) == []
    for sock in (writer, peer, outsider):
        await sock.close()


async def test_a_send_frame_names_members_of_a_group(shared_server: Server) -> None:
    alice, bob, carol = await register(shared_server), await register(shared_server), await register(shared_server)
    await befriend(alice, bob)
    await befriend(alice, carol)
    group = (await alice.ok("POST", "/conversations/groups", json={"user_ids": [bob.id, carol.id]}))["id"]
    sock = await Socket.connect(alice)
    frame = {"type": "send", "id": "m1", "conversation_id": group, "text": "@Bob hi", "mentions": [bob.id]}
    ack = await sock.request(frame, "m1")
    assert ack["type"] == "ack" and ack["message"]["mentions"] == [bob.id]
    assert (await bob.ok("GET", f"/conversations/{group}"))["mentioned"] is True
    assert (await carol.ok("GET", f"/conversations/{group}"))["mentioned"] is False
    refused = await sock.request({**frame, "id": "m2", "mentions": [bob.id, 2**40]}, "m2")
    assert refused["type"] == "error" and refused["error"]["code"] == "not_a_member"
    assert refused["error"]["user_ids"] == [2**40]
    await sock.close()
