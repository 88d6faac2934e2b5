"""The data export's own limits, in-process: one export per user at a time, a few per node."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import AsyncIterator

import pytest
from domain import Kit

from kith.accounts.export import Export, Exports
from kith.errors import RateLimited
from kith.moments.models import MomentLimits


async def unpack(export: Export) -> zipfile.ZipFile:
    data = b"".join([chunk async for chunk in export.chunks()])
    assert len(data) == export.size
    return zipfile.ZipFile(io.BytesIO(data))


async def test_one_export_per_user_at_a_time_and_a_few_per_node(kit: Kit) -> None:
    exports = Exports(kit.accounts, kit.contacts, kit.chats, kit.media, kit.moments, kit.clock, page=2, most_at_once=2)
    alice, bob, carol = [await kit.user() for _ in range(3)]
    await kit.friends(alice, bob)
    conversation = await kit.chats.open_direct(alice, bob.user_id)
    for n in range(5):  # more than two pages of 2
        await kit.chats.send(alice, conversation.id, f"m{n}", f"message {n}")

    first = asyncio.create_task(exports.do_export(alice))
    await asyncio.sleep(0)  # it has started, and waits on the store
    with pytest.raises(RateLimited) as same_user:
        await exports.do_export(alice)
    assert same_user.value.fields["retry_after"] > 0
    second = asyncio.create_task(exports.do_export(bob))
    await asyncio.sleep(0)
    with pytest.raises(RateLimited):  # two are being made on this node: a third waits its turn
        await exports.do_export(carol)
    made = await first
    with pytest.raises(RateLimited):  # made, not yet downloaded: still the one export of this user
        await exports.do_export(alice)
    zips = [await unpack(made), await unpack(await second)]
    texts = [m["text"] for m in json.loads(zips[0].read(f"messages/{conversation.id}.json"))["messages"]]
    assert texts == [f"message {n}" for n in range(5)]
    # once they are done, anyone may export again
    assert "profile.json" in (await unpack(await exports.do_export(alice))).namelist()
    assert "profile.json" in (await unpack(await exports.do_export(carol))).namelist()


async def test_the_export_holds_ones_own_uploads(kit: Kit) -> None:
    exports = Exports(kit.accounts, kit.contacts, kit.chats, kit.media, kit.moments, kit.clock, page=50)
    alice, bob = await kit.user(), await kit.user()
    await kit.friends(alice, bob)
    conversation = await kit.chats.open_direct(alice, bob.user_id)

    async def body(data: bytes) -> AsyncIterator[bytes]:
        yield data

    mine = await kit.media.do_upload(alice, "file", "notes 2026.txt", body(b"alice's notes"))
    theirs = await kit.media.do_upload(bob, "file", "bob.txt", body(b"bob's"))
    await kit.chats.send(bob, conversation.id, "b1", "", media_id=theirs.id)
    unpacked = await unpack(await exports.do_export(alice))
    assert unpacked.read(f"media/{mine.id}/notes 2026.txt") == b"alice's notes"
    assert [m["id"] for m in json.loads(unpacked.read("media.json"))["media"]] == [mine.id]
    assert not [n for n in unpacked.namelist() if theirs.id in n and n.startswith("media/")]  # bob's is his
    sent = json.loads(unpacked.read(f"messages/{conversation.id}.json"))["messages"]
    assert sent[-1]["media"]["id"] == theirs.id  # the message itself is alice's to see


async def test_the_export_holds_ones_own_moments_posts_a_page_at_a_time(kit: Kit) -> None:
    exports = Exports(kit.accounts, kit.contacts, kit.chats, kit.media, kit.moments, kit.clock, page=50)
    alice, bob = await kit.user(), await kit.user()
    await kit.friends(alice, bob)
    kit.moments.caps = MomentLimits(page_max=2)  # three album pages for five posts
    mine = [(await kit.moments.post(alice, f"a{n}", f"post {n}", None)).id for n in range(5)]
    await kit.moments.post(bob, "b1", "bob's own", None)
    await kit.moments.comment(bob, mine[0], "nice one")
    posts = json.loads((await unpack(await exports.do_export(alice))).read("moments.json"))["posts"]
    assert [p["id"] for p in posts] == mine[::-1]
    assert [c["text"] for c in posts[-1]["comments"]] == ["nice one"] and posts[0]["audience"] == "friends"
