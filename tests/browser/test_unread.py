"""Opening a busy chat: a divider where the unread messages begin, and a button up to it."""

from __future__ import annotations

from collections.abc import Callable

from kithweb import Api, App
from playwright.sync_api import expect


def test_a_busy_chat_opens_with_an_unread_divider_and_a_way_up_to_it(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    conversation = api.direct(alice, bob)
    api.say(alice, conversation, "Are you around this week?")
    seen = api.say(bob, conversation, "Yes, read already")
    api.call(alice, "POST", f"/conversations/{conversation}/read", json={"seq": seen["seq"]})
    for n in range(1, 81):
        api.say(bob, conversation, f"busy {n}")

    app = new_app("alice").signed_in_as(alice)
    page = app.page
    expect(app.chat_item("Bob Martin").locator(".badge")).to_have_text("80")
    app.open_chat("Bob Martin")
    expect(app.message("busy 80")).to_be_in_viewport()
    # the first unread message is further up than the page read: a button goes there
    jump = page.get_by_role("button", name="80 unread messages")
    expect(jump).to_be_visible()
    divider = page.get_by_role("separator", name="Unread messages")
    expect(divider).to_have_count(0)
    app.screenshot("unread-opened")
    jump.click()
    expect(divider).to_be_in_viewport()
    expect(app.message("busy 1")).to_be_in_viewport()
    expect(app.message("busy 1")).to_be_focused()
    expect(app.message("Yes, read already")).to_be_attached()  # what came before it, read
    # the divider sits right before the first unread message, and the button is gone
    assert divider.evaluate("el => el.nextElementSibling.querySelector('.msg-text').textContent") == "busy 1"
    assert divider.evaluate("el => el.previousElementSibling.querySelector('.msg-text').textContent") == (
        "Yes, read already"
    )
    expect(jump).to_be_hidden()
    app.screenshot("unread-divider")

    # a few unread ones fit on the screen: the divider shows there, no button is needed
    api.say(alice, conversation, "Back")
    app.tab("Contacts")
    for n in range(1, 4):
        api.say(bob, conversation, f"quiet {n}")
    app.tab("Chats")
    expect(app.chat_item("Bob Martin").locator(".badge")).to_have_text("3")
    app.open_chat("Bob Martin")
    expect(divider).to_be_in_viewport()
    assert divider.evaluate("el => el.nextElementSibling.querySelector('.msg-text').textContent") == "quiet 1"
    expect(page.locator(".unread-jump")).to_be_hidden()
    # and none at all for a chat with nothing unread
    app.tab("Contacts")
    app.tab("Chats")
    app.open_chat("Bob Martin")
    expect(app.message("quiet 3")).to_be_in_viewport()
    expect(divider).to_have_count(0)
