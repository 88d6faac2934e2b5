"""Contacts in the browser: remarks, declining, blocking and unblocking, removing a friend."""

from __future__ import annotations

import re
from collections.abc import Callable

from kithweb import Api, App
from playwright.sync_api import expect


def test_remarks_requests_and_blocking(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, mallory = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("mallory", "Mallory"),
    )
    api.befriend(alice, bob)
    conversation = api.direct(alice, bob)
    api.say(bob, conversation, "Hello from Bob")
    a = new_app("alice").signed_in_as(alice, "contacts")
    page = a.page

    # a request she does not want: declined quietly
    api.call(mallory, "POST", "/friend-requests", json={"handle": alice.handle, "greeting": "Buy my course"})
    expect(a.tab_badge("contacts")).to_have_text("1")
    page.get_by_role("link", name=re.compile("New friends")).click()
    page.locator(".request", has_text="Mallory").get_by_role("button", name="Decline").click()
    expect(page.get_by_text("No friend requests")).to_be_visible()
    expect(a.tab_badge("contacts")).to_have_count(0)

    # a remark only she sees, used everywhere she sees Bob
    page.locator(".contact-list").get_by_role("link", name=re.compile("Bob Martin")).click()
    page.get_by_label("Remark (only you see it)").fill("Bob (climbing)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".contact-list .contact-name", has_text="Bob (climbing)")).to_be_visible()
    a.tab("Chats")
    expect(a.chat_item("Bob (climbing)")).to_be_visible()
    a.open_chat("Bob (climbing)")
    expect(a.message("Hello from Bob")).to_be_visible()

    # blocking from his profile: the chat says so and offers to undo it
    a.tab("Contacts")
    page.locator(".contact-list").get_by_role("link", name=re.compile("Bob \\(climbing\\)")).click()
    page.get_by_role("button", name="Block").click()
    page.get_by_role("dialog", name="Block Bob Martin?").get_by_role("button", name="Block").click()
    expect(page.get_by_role("button", name="Unblock")).to_be_visible()
    expect(page.locator(".contact-list .tag", has_text="Blocked")).to_be_visible()
    a.tab("Chats")
    a.open_chat("Bob (climbing)")
    expect(page.get_by_text("You blocked Bob (climbing).")).to_be_visible()
    expect(a.composer).to_be_hidden()
    page.locator(".composer-notice").get_by_role("button", name="Unblock").click()
    expect(a.composer).to_be_visible()
    a.send("Sorry, wrong button")
    assert [m["text"] for m in api.messages(bob, conversation)][-1] == "Sorry, wrong button"

    # removing a friend
    a.tab("Contacts")
    page.locator(".contact-list").get_by_role("link", name=re.compile("Bob \\(climbing\\)")).click()
    page.get_by_role("button", name="Remove friend").click()
    page.get_by_role("dialog", name="Remove Bob Martin from your friends?").get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No friends yet")).to_be_visible()
    assert api.call(bob, "GET", "/friends")["friends"] == []
