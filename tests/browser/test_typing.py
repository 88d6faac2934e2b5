"""Typing indicators in the browser: "typing…" in a direct chat while the other writes, never in a
group, never "last seen", and Me → Privacy turns them off (neither sent nor shown)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from kithweb import Api, App
from playwright.sync_api import expect

# what the page sends over its WebSocket, for the test to read
WATCH_FRAMES = """
window.__sent = [];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  window.__sent.push(String(data));
  return send.call(this, data);
};
"""


def typing_sent(app: App) -> list[dict[str, object]]:
    frames = [json.loads(f) for f in app.page.evaluate("window.__sent")]
    return [f for f in frames if f["type"] == "typing"]


def test_typing_shows_in_a_direct_chat_and_can_be_turned_off(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    carol = api.register("carol", "Carol Wu")
    api.befriend(alice, bob)
    api.befriend(alice, carol)
    chat = api.direct(alice, bob)
    api.say(bob, chat, "hi")
    group = api.group(alice, "Trio", [bob, carol])
    a, b = new_app("alice"), new_app("bob")
    for app in (a, b):
        app.context.add_init_script(WATCH_FRAMES)
    a.signed_in_as(alice, f"chats/{chat}")
    b.signed_in_as(bob, f"chats/{chat}")
    subtitle = b.page.locator(".chat-subtitle")
    expect(subtitle).to_have_text(f"@{alice.handle}")

    # Alice writes: Bob sees "typing…" for a few seconds, and nothing else about her
    a.composer.press_sequentially("Hel")
    expect(subtitle).to_have_text("typing…")
    b.screenshot("typing")
    assert len(typing_sent(a)) == 1  # one frame for three keys: at most one every 3 s
    expect(subtitle).to_have_text(f"@{alice.handle}", timeout=10_000)  # it fades by itself
    assert not re.search(r"last seen|online", b.page.locator(".chat-header").inner_text(), re.I)
    # and her message ends it at once
    a.composer.press_sequentially("lo Bob")
    expect(subtitle).to_have_text("typing…")
    a.composer.press("Enter")
    expect(b.message("Hello Bob")).to_be_visible()
    expect(subtitle).to_have_text(f"@{alice.handle}")

    # never in a group
    a.open_chat("Trio")
    before = len(typing_sent(a))
    a.composer.press_sequentially("anyone?")
    a.composer.press("Enter")
    expect(a.message("anyone?")).to_have_attribute("data-state", "sent")
    assert len(typing_sent(a)) == before
    assert all(f["conversation_id"] == chat for f in typing_sent(a))
    assert group not in [f["conversation_id"] for f in typing_sent(a)]

    # Bob turns them off: he shows nothing when he writes, and sees nothing when she does
    b.open("me/privacy")
    switch = b.page.get_by_role("switch", name="Typing indicators")
    expect(switch).to_be_checked()
    switch.uncheck()
    b.open(f"chats/{chat}")
    b.wait_online()
    a.open_chat("Bob Martin")
    a.composer.press_sequentially("still there?")
    expect(a.page.locator(".chat-subtitle")).to_have_text(f"@{bob.handle}")
    b.page.wait_for_timeout(1000)  # what would have come has had the time to arrive
    expect(subtitle).to_have_text(f"@{alice.handle}")
    b.composer.press_sequentially("yes")
    b.page.wait_for_timeout(500)
    assert typing_sent(b) == []
    expect(a.page.locator(".chat-subtitle")).to_have_text(f"@{bob.handle}")
    # the choice is kept in his browser
    b.reload()
    b.open("me/privacy")
    expect(b.page.get_by_role("switch", name="Typing indicators")).not_to_be_checked()
