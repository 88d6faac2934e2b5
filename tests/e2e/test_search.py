"""Message search over the real HTTP API: Chinese and English, one's own chats only, in pages."""

from __future__ import annotations

import pytest
from helpers import Server, befriend, direct, register

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_search_over_http_finds_ones_own_messages_in_both_languages(shared_server: Server) -> None:
    alice, bob, eve = [await register(shared_server) for _ in range(3)]
    await befriend(alice, bob)
    chat = await direct(alice, bob)
    for n, text in enumerate(["周末去爬山吗\uff1f", "Sure, which trail?", "香山的红叶很好看", "Fragrant Hills it is"]):
        sender = alice if n % 2 == 0 else bob
        await sender.ok("POST", f"/conversations/{chat}/messages", json={"id": f"s{n}", "text": text})

    async def texts(user: object, q: str, **params: object) -> list[str]:
        page = await user.ok("GET", "/search/messages", params={"q": q, **params})  # type: ignore[attr-defined]
        return [m["text"] for m in page["messages"]]

    assert await texts(bob, "爬山") == ["周末去爬山吗\uff1f"]
    assert await texts(alice, "红叶") == ["香山的红叶很好看"]
    assert await texts(alice, "hills") == ["Fragrant Hills it is"]
    assert await texts(bob, "tra") == ["Sure, which trail?"]
    assert await texts(eve, "爬山") == [] and await texts(eve, "trail") == []
    first = await alice.ok("GET", "/search/messages", params={"q": "山", "limit": 1})  # one character: two messages
    assert [m["text"] for m in first["messages"]] == ["香山的红叶很好看"] and "next" in first
    rest = await alice.ok("GET", "/search/messages", params={"q": "山", "before": first["next"]})
    assert [m["text"] for m in rest["messages"]] == ["周末去爬山吗\uff1f"] and "next" not in rest
    refused = await alice.call("GET", "/search/messages", params={"q": "\uff1f\uff01"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "nothing_to_find"
