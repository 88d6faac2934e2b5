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


def test_accepting_a_request_opens_the_chat_on_both_sides_with_the_greeting(
    new_app: Callable[..., App], api: Api
) -> None:
    alice, bob, carol, dan = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("carol", "Carol Díaz"),
        api.register("dan", "Dan Okafor"),
    )
    for person in (alice, bob):  # both have a chat going already
        api.befriend(carol, person)
        api.say(carol, api.direct(carol, person), "Lunch tomorrow?")
    a = new_app("alice").signed_in_as(alice)
    b = new_app("bob").signed_in_as(bob, "contacts")
    names = "a.chat-item .chat-name"
    expect(a.page.locator(names)).to_have_text(["Carol Díaz"])

    greeting = "Hi Bob, it's Alice from the climbing gym"
    api.call(alice, "POST", "/friend-requests", json={"handle": bob.handle, "greeting": greeting})
    b.page.get_by_role("link", name=re.compile("New friends")).click()
    b.page.locator(".request", has_text="Alice Chen").get_by_role("button", name="Accept").click()

    # the requester hears of it, and both find the chat on top, the greeting as its start
    expect(a.page.locator(".toast")).to_contain_text("Bob Martin accepted your friend request")
    expect(a.page.locator(names)).to_have_text(["Bob Martin", "Carol Díaz"])
    expect(a.chat_item("Bob Martin").locator(".chat-preview")).to_have_text(greeting)
    b.tab("Chats")
    expect(b.page.locator(names)).to_have_text(["Alice Chen", "Carol Díaz"])
    expect(b.chat_item("Alice Chen").locator(".chat-preview")).to_have_text(greeting)
    expect(b.chat_item("Alice Chen").locator(".badge")).to_have_count(0)  # he read it in the request
    expect(b.tab_badge("chats")).to_have_text("1")  # Carol's lunch, not the greeting
    for app, side in ((a, "mine"), (b, "theirs")):
        app.open_chat("Bob Martin" if app is a else "Alice Chen")
        expect(app.page.locator(".msg .msg-text")).to_have_text([greeting])
        expect(app.message(greeting)).to_have_class(re.compile(side))
    b.send("Hey Alice! Good to see you here")
    expect(a.message("Hey Alice! Good to see you here")).to_be_visible()

    # with no greeting, the chat is there all the same, waiting for a first word
    api.call(dan, "POST", "/friend-requests", json={"handle": alice.handle})
    a.tab("Contacts")
    a.page.get_by_role("link", name=re.compile("New friends")).click()
    a.page.locator(".request", has_text="Dan Okafor").get_by_role("button", name="Accept").click()
    a.tab("Chats")
    expect(a.page.locator(names).first).to_have_text("Dan Okafor")
    expect(a.chat_item("Dan Okafor").locator(".chat-preview")).to_have_text("Say hello")
