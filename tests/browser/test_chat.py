"""Two people meet in the browser: sign up, become friends, chat live, reply, recall, reload."""

from __future__ import annotations

import re
from collections.abc import Callable

from kithweb import PHONE, Api, App, unique
from playwright.sync_api import expect


def test_two_people_sign_up_become_friends_and_chat_live(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = new_app("alice"), new_app("bob")
    alice_handle, bob_handle = unique("alice"), unique("bob")
    alice.open().sign_up(alice_handle, "Alice Chen")
    bob.open().sign_up(bob_handle, "Bob Martin")
    expect(alice.page.get_by_text("No chats yet")).to_be_visible()

    # Alice finds Bob by his handle and asks, with a greeting
    alice.page.get_by_role("button", name="Add friend").click()
    dialog = alice.page.get_by_role("dialog", name="Add a friend")
    dialog.get_by_label("Their handle").fill(bob_handle.upper())
    dialog.get_by_label("Their handle").press("Enter")
    expect(dialog.get_by_text("Bob Martin")).to_be_visible()
    dialog.get_by_label("Greeting").fill("Hi Bob, it's Alice from the climbing gym")
    dialog.get_by_role("button", name="Send friend request").click()
    expect(dialog.get_by_text("Request sent")).to_be_visible()
    alice.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Bob sees it arrive live, and accepts
    expect(bob.tab_badge("contacts")).to_have_text("1")
    bob.tab("Contacts")
    bob.page.get_by_role("link", name=re.compile("New friends")).click()
    request = bob.page.locator(".request", has_text="Alice Chen")
    expect(request).to_contain_text("Hi Bob, it's Alice from the climbing gym")
    request.get_by_role("button", name="Accept").click()
    expect(bob.page.get_by_text("No friend requests")).to_be_visible()
    expect(bob.tab_badge("contacts")).to_have_count(0)

    # Alice starts the chat from her contacts
    alice.tab("Contacts")
    alice.page.locator(".contact-list").get_by_role("link", name=re.compile("Bob Martin")).click()
    alice.page.get_by_role("button", name="Message").click()
    expect(alice.page.locator(".chat-title")).to_have_text("Bob Martin")
    alice.send("Hi Bob! 👋")

    # it arrives live in Bob's chat list, unread
    bob.tab("Chats")
    item = bob.chat_item("Alice Chen")
    expect(item.locator(".chat-preview")).to_have_text("Hi Bob! 👋")
    expect(item.locator(".badge")).to_have_text("1")
    expect(bob.tab_badge("chats")).to_have_text("1")
    expect(bob.page).to_have_title("(1) kith")
    bob.open_chat("Alice Chen")
    expect(item.locator(".badge")).to_have_count(0)
    expect(bob.tab_badge("chats")).to_have_count(0)
    expect(bob.page).to_have_title("kith")

    # and back, live, into Alice's open chat
    bob.send("Hey Alice, good to see you here")
    expect(alice.message("Hey Alice, good to see you here")).to_be_visible()
    expect(alice.chat_item("Bob Martin").locator(".badge")).to_have_count(0)  # she has it open

    # Shift+Enter makes a new line, Enter sends
    alice.composer.fill("Line one")
    alice.composer.press("Shift+Enter")
    alice.composer.press_sequentially("line two")
    alice.composer.press("Enter")
    expect(alice.composer).to_have_value("")
    expect(bob.page.locator(".msg-text").last).to_have_text("Line one\nline two")

    # Bob replies to Alice's first message, quoting it
    first = bob.message("Hi Bob! 👋")
    first.hover()
    first.get_by_role("button", name="Message actions").click()
    bob.page.get_by_role("menu", name="Message actions").get_by_role("menuitem", name="Reply").click()
    expect(bob.page.locator(".reply-bar")).to_contain_text("Replying to Alice Chen")
    expect(bob.composer).to_be_focused()
    bob.composer.fill("Wave back 👋")
    bob.composer.press("Enter")
    reply = alice.message("Wave back 👋")
    expect(reply.locator(".quote")).to_contain_text("Hi Bob! 👋")
    expect(reply.locator(".quote-name")).to_have_text("You")

    # Alice recalls a message sent by mistake; both see a notice instead
    alice.send("oops, wrong chat")
    expect(bob.message("oops, wrong chat")).to_be_visible()
    mistake = alice.message("oops, wrong chat")
    mistake.locator(".bubble").click(button="right")
    alice.page.get_by_role("menuitem", name="Recall").click()
    alice.page.get_by_role("dialog", name="Recall this message?").get_by_role("button", name="Recall").click()
    expect(alice.log.get_by_text("You recalled a message")).to_be_visible()
    expect(bob.log.get_by_text("Alice Chen recalled a message")).to_be_visible()
    expect(bob.message("oops, wrong chat")).to_have_count(0)

    # unread counts while Alice looks elsewhere, cleared when she opens the chat
    alice.tab("Me")
    bob.send("Are you coming on Saturday?")
    bob.send("We start at 9")
    expect(alice.tab_badge("chats")).to_have_text("2")
    alice.tab("Chats")
    expect(alice.chat_item("Bob Martin").locator(".badge")).to_have_text("2")
    expect(alice.chat_item("Bob Martin").locator(".chat-preview")).to_have_text("We start at 9")
    alice.open_chat("Bob Martin")
    expect(alice.tab_badge("chats")).to_have_count(0)

    # a reload keeps her signed in, in the same chat, with its history
    alice.reload()
    alice.wait_online()
    expect(alice.page.locator(".chat-title")).to_have_text("Bob Martin")
    expect(alice.message("We start at 9")).to_be_visible()
    expect(alice.log.get_by_text("You recalled a message")).to_be_visible()
    assert alice.bubbles()[:2] == ["Hi Bob, it's Alice from the climbing gym", "Hi Bob! 👋"]  # the greeting first

    # the server holds each message once
    conversation = int(alice.page.evaluate("location.hash").rsplit("/", 1)[1])
    stored = api.messages(bob.account(), conversation)
    texts = [m["text"] for m in stored if m["kind"] == "text" and not m["recalled"]]
    assert texts == [
        "Hi Bob, it's Alice from the climbing gym",
        "Hi Bob! 👋",
        "Hey Alice, good to see you here",
        "Line one\nline two",
        "Wave back 👋",
        "Are you coming on Saturday?",
        "We start at 9",
    ]


def test_a_message_has_a_menu_reply_copy_recall_after_asking_and_delete_for_me(
    new_app: Callable[..., App], api: Api
) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    conversation = api.direct(alice, bob)
    api.say(bob, conversation, "The code is 4711, keep it safe")
    api.say(bob, conversation, "Meet at the north gate")
    a = new_app("alice", permissions=["clipboard-read", "clipboard-write"]).signed_in_as(alice, f"chats/{conversation}")
    other_device = new_app("alice-phone", viewport=PHONE, is_mobile=True, has_touch=True)
    other_device.signed_in_as(alice, f"chats/{conversation}")
    page = a.page
    menu = page.get_by_role("menu", name="Message actions")
    theirs = a.message("The code is 4711, keep it safe")

    # a labelled "…" beside the bubble, shown on hover
    more = theirs.get_by_role("button", name="Message actions")
    expect(more).to_be_hidden()
    theirs.hover()
    expect(more).to_be_visible()
    expect(more).to_have_attribute("title", "Reply, copy or delete")
    more.click()
    expect(menu.get_by_role("menuitem")).to_have_text(["Reply", "Copy", "Delete for me"])  # not Recall: not hers
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()

    # Copy, from a right-click
    theirs.locator(".bubble").click(button="right")
    menu.get_by_role("menuitem", name="Copy").click()
    expect(page.locator(".toast")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "The code is 4711, keep it safe"

    # Recall asks first; Cancel keeps the message
    a.send("Wrong chat, sorry")
    mine = a.message("Wrong chat, sorry")
    mine.locator(".bubble").click(button="right")
    expect(menu.get_by_role("menuitem")).to_have_text(["Reply", "Copy", "Recall", "Delete for me"])
    a.screenshot("desktop-message-menu")
    menu.get_by_role("menuitem", name="Recall").click()
    confirm = page.get_by_role("dialog", name="Recall this message?")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(mine).to_be_visible()
    mine.locator(".bubble").click(button="right")
    menu.get_by_role("menuitem", name="Recall").click()
    confirm.get_by_role("button", name="Recall").click()
    expect(a.log.get_by_text("You recalled a message")).to_be_visible()
    expect(mine).to_have_count(0)

    # Delete for me: gone from her chat, on her other device too, and after a reload; Bob keeps it
    theirs.locator(".bubble").click(button="right")
    menu.get_by_role("menuitem", name="Delete for me").click()
    page.get_by_role("dialog", name="Delete this message for you?").get_by_role("button", name="Delete for me").click()
    expect(theirs).to_have_count(0)
    expect(other_device.message("The code is 4711, keep it safe")).to_have_count(0)
    expect(other_device.message("Meet at the north gate")).to_be_visible()
    a.reload()
    a.wait_online()
    expect(a.message("Meet at the north gate")).to_be_visible()
    expect(a.message("The code is 4711, keep it safe")).to_have_count(0)
    assert "The code is 4711, keep it safe" in [m["text"] for m in api.messages(bob, conversation)]

    # on a touch screen, a long press opens the menu
    gate = other_device.message("Meet at the north gate").locator(".bubble")
    box = gate.bounding_box()
    assert box
    touch = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    cdp = other_device.context.new_cdp_session(other_device.page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [touch]})
    other_device.page.wait_for_timeout(800)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    phone_menu = other_device.page.get_by_role("menu", name="Message actions")
    expect(phone_menu.get_by_role("menuitem")).to_have_text(["Reply", "Copy", "Delete for me"])
    other_device.screenshot("phone-message-menu")
    phone_menu.get_by_role("menuitem", name="Reply").click()
    expect(other_device.page.locator(".reply-bar")).to_contain_text("Replying to Bob Martin")
