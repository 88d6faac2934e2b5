"""A block reaches groups, against a real server: nobody can pull someone who blocked them into a
group, at creation or later, and the refusal is the one a stranger gets (the block stays unknown).
Groups the two already share go on as before (docs/contacts.md)."""

from __future__ import annotations

import pytest
from helpers import Server, befriend, register

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_after_a_block_the_blocked_cannot_reach_the_blocker_through_a_new_group(shared_server: Server) -> None:
    server = shared_server
    a, b, c, stranger = [await register(server, f"grp_{who}") for who in ("a", "b", "c", "stranger")]
    await befriend(a, b)
    await befriend(a, c)
    await befriend(c, b)
    shared = await a.ok("POST", "/conversations/groups", json={"name": "before", "user_ids": [b.id, c.id]})
    await b.ok("PUT", f"/blocks/{a.id}")
    chats_of_b = {conv["id"] for conv in (await b.ok("GET", "/conversations"))["conversations"]}
    assert shared["id"] in chats_of_b  # with the direct chats their friendships opened

    as_stranger = await a.call("POST", "/conversations/groups", json={"user_ids": [stranger.id]})
    created = await a.call("POST", "/conversations/groups", json={"user_ids": [b.id]})
    assert (created.status_code, created.json()) == (
        as_stranger.status_code,
        {"error": {**as_stranger.json()["error"], "user_ids": [b.id]}},
    )
    assert created.status_code == 403 and created.json()["error"]["code"] == "not_friends"
    own = await a.ok("POST", "/conversations/groups", json={"name": "later", "user_ids": [c.id]})
    added = await a.call("POST", f"/conversations/{own['id']}/members", json={"user_ids": [b.id]})
    assert added.status_code == 403 and added.json()["error"]["code"] == "not_friends"
    # b was never told of either attempt, and is in no new conversation of a's
    assert {conv["id"] for conv in (await b.ok("GET", "/conversations"))["conversations"]} == chats_of_b
    # the group they already shared goes on
    await a.ok("POST", f"/conversations/{shared['id']}/messages", json={"id": "x1", "text": "still here"})
    history = await b.ok("GET", f"/conversations/{shared['id']}/messages")
    assert [m["text"] for m in history["messages"] if m["kind"] == "text"] == ["still here"]
    for user in (a, b, c, stranger):
        await user.aclose()
