"""@mentions in a group: typing @ offers the members, the message names them, and a mention of you
marks the chat in the list until read and notifies even when the group is muted."""

from __future__ import annotations

import re
from collections.abc import Callable

from kithweb import Api, App
from playwright.sync_api import expect
from test_notifications import WATCH_NOTIFICATIONS, turn_on_notifications, wait_until


def test_a_mention_is_offered_sent_marked_and_heard_through_mute(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    carol = api.register("carol", "Carol Wu")
    api.befriend(alice, bob)
    api.befriend(alice, carol)
    group = api.group(alice, "Climbing", [bob, carol])
    api.call(bob, "PATCH", f"/conversations/{group}/prefs", json={"muted": True})

    b = new_app("bob", permissions=["notifications"])
    b.context.add_init_script(WATCH_NOTIFICATIONS)
    b.signed_in_as(bob, "me/notifications")
    turn_on_notifications(b)
    b.tab("Chats")
    b.page.evaluate("window.__hidden = true")  # bob's tab is in the background
    c = new_app("carol").signed_in_as(carol)

    a = new_app("alice").signed_in_as(alice, f"chats/{group}")
    page = a.page
    options = page.get_by_role("listbox", name="Members to mention").get_by_role("option")
    # @ offers the others (not oneself); letters narrow it down
    a.composer.press_sequentially("Hi @")
    expect(options).to_have_count(2)
    expect(options.locator(".mention-name")).to_have_text(["Bob Martin", "Carol Wu"])
    a.composer.press_sequentially("Bo")
    expect(options).to_have_count(1)
    a.screenshot("mention-offered")
    # Enter picks (it does not send); the name goes in, and the text goes on
    a.composer.press("Enter")
    expect(options).to_have_count(0)
    expect(a.composer).to_have_value("Hi @Bob Martin ")
    a.composer.press_sequentially("are you in on Saturday?")
    # an @ that is Escaped stays as typed; an address is no mention
    a.composer.press_sequentially(" @")
    expect(options).to_have_count(2)
    a.composer.press("Escape")
    expect(options).to_have_count(0)
    a.composer.press_sequentially("x me@home")
    expect(options).to_have_count(0)
    a.composer.press("Enter")
    text = "Hi @Bob Martin are you in on Saturday? @x me@home"
    expect(a.message(text)).to_have_attribute("data-state", "sent")
    assert api.messages(bob, group)[-1]["mentions"] == [bob.id]
    expect(a.message(text).locator(".mention")).to_have_text(["@Bob Martin"])

    # bob's muted group says he was mentioned, and his hidden tab notified him anyway
    item = b.chat_item("Climbing")
    expect(item.locator(".mention-flag")).to_have_text("[You were mentioned]")
    wait_until(b, "window.__shown.length === 1")
    assert b.page.evaluate("window.__shown")[0]["tag"] == f"c{group}"
    # chatter in the muted group: no notification, and the mark stays
    api.say(carol, group, "I'm in")
    expect(item.locator(".chat-preview")).to_contain_text("I'm in")
    expect(item.locator(".mention-flag")).to_be_visible()
    assert len(b.page.evaluate("window.__shown")) == 1
    # carol was not named: no mark for her
    expect(c.chat_item("Climbing").locator(".chat-preview")).to_have_text(re.compile("I'm in"))
    expect(c.chat_item("Climbing").locator(".mention-flag")).to_have_count(0)

    # reading the chat clears the mark; his own name is marked in the message
    b.page.evaluate("window.__hidden = false")
    b.open_chat("Climbing")
    expect(b.message(text).locator(".mention.me")).to_have_text("@Bob Martin")
    expect(item.locator(".mention-flag")).to_have_count(0)
    b.screenshot("mention-read")
