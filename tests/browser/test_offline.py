"""Losing the network: the client says so, catches up by itself, and never stores a send twice."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from kithweb import DESKTOP, PHONE, Api, App
from playwright.sync_api import expect


def test_offline_then_back_catches_up_and_what_was_written_meanwhile_goes_by_itself(
    new_app: Callable[..., App], api: Api
) -> None:
    alice, bob, carol = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("carol", "Carol Díaz"),
    )
    api.befriend(alice, bob)
    api.befriend(carol, bob)
    conversation = api.direct(alice, bob)
    with_carol = api.direct(carol, bob)
    api.say(alice, conversation, "Before the tunnel")
    api.say(carol, with_carol, "Lunch tomorrow?")
    a = new_app("alice").signed_in_as(alice, f"chats/{conversation}")
    b = new_app("bob")
    sends: list[str] = []  # the client ids of the send frames that left Bob's browser
    b.page.on(
        "websocket",
        lambda ws: ws.on(
            "framesent",
            lambda frame: '"type":"send"' in frame and sends.append(json.loads(frame)["id"]),
        ),
    )
    b.signed_in_as(bob, f"chats/{conversation}")
    expect(b.message("Before the tunnel")).to_be_visible()

    b.context.set_offline(True)
    status = b.page.locator("#conn")
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_contain_text("You're offline")

    # what Bob misses while he is away
    for text in ("one", "two", "three"):
        a.send(text)
    api.say(carol, with_carol, "Or Friday?")

    # Bob writes anyway: it waits for the connection, not marked as failed, no Retry to press
    b.composer.fill("Sent from the tunnel")
    b.composer.press("Enter")
    pending = b.message("Sent from the tunnel")
    expect(pending).to_have_attribute("data-state", "queued")
    expect(pending.locator(".msg-queued")).to_have_text("Sends when you're back online")
    expect(pending.get_by_role("button", name="Retry")).to_have_count(0)
    b.page.wait_for_timeout(16_000)  # longer than an ack is waited for: still waiting, not failed
    expect(pending).to_have_attribute("data-state", "queued")
    expect(b.message("one")).to_have_count(0)

    # back online: he reconnects and catches up by himself, no reload, and his message goes by itself
    b.context.set_offline(False)
    expect(status).to_have_attribute("data-state", "online")
    expect(status).to_contain_text("Back online")
    expect(pending).to_have_attribute("data-state", "sent")
    expect(b.page.locator(".msg .msg-text")).to_have_text(
        ["Before the tunnel", "one", "two", "three", "Sent from the tunnel"]
    )
    expect(b.chat_item("Carol Díaz").locator(".chat-preview")).to_have_text("Or Friday?")
    expect(b.chat_item("Carol Díaz").locator(".badge")).to_have_text("2")
    expect(a.message("Sent from the tunnel")).to_have_count(1)
    expect(b.message("Sent from the tunnel")).to_have_count(1)
    texts = [m["text"] for m in api.messages(alice, conversation)]
    assert texts == ["Before the tunnel", "one", "two", "three", "Sent from the tunnel"]
    assert len(sends) == 1  # sent once, when the connection was back

    # and live delivery works again
    a.send("Welcome back")
    expect(b.message("Welcome back")).to_be_visible()


def test_a_send_whose_ack_was_lost_is_stored_once(new_app: Callable[..., App], api: Api) -> None:
    """The frame reaches the server, then the connection dies before the ack: no duplicate."""
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    conversation = api.direct(alice, bob)
    a = new_app("alice")
    cut = {"done": False}
    sends: list[str] = []  # the client ids of the send frames that left the browser

    def network(ws: Any) -> None:
        server = ws.connect_to_server()

        def upstream(message: str | bytes) -> None:
            server.send(message)
            if isinstance(message, str) and '"type":"send"' in message:
                sends.append(json.loads(message)["id"])
            if not cut["done"] and isinstance(message, str) and '"type":"send"' in message:
                cut["done"] = True  # the send has left; the line drops before anything comes back
                ws.close(code=4000, reason="network lost")
                server.close()

        ws.on_message(upstream)
        server.on_message(lambda message: ws.send(message))

    a.page.route_web_socket(re.compile(r"/api/v1/ws$"), network)
    a.signed_in_as(alice, f"chats/{conversation}")
    b = new_app("bob").signed_in_as(bob, f"chats/{conversation}")

    a.composer.fill("Did this arrive?")
    a.composer.press("Enter")
    sent = a.message("Did this arrive?")
    expect(sent).to_have_attribute("data-state", "sent")  # after reconnecting and resuming
    assert cut["done"]
    assert len(sends) == 2 and sends[0] == sends[1]  # sent again after reconnecting, with the same id
    expect(b.message("Did this arrive?")).to_have_count(1)
    expect(sent).to_have_count(1)
    assert [m["text"] for m in api.messages(alice, conversation)] == ["Did this arrive?"]

    a.send("And this one?")
    expect(b.message("And this one?")).to_be_visible()


def _overlap(a: dict[str, float] | None, b: dict[str, float] | None) -> bool:
    assert a and b
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and (b["y"] < a["y"] + a["height"])
    )


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_offline_banner_covers_neither_the_search_box_nor_the_chat(
    new_app: Callable[..., App], api: Api, size: str, viewport: dict[str, int]
) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    conversation = api.direct(alice, bob)
    for n in range(1, 31):
        api.say(bob, conversation, f"Message number {n}")
    app = new_app(f"alice-{size}", viewport=viewport, is_mobile=size == "phone", has_touch=size == "phone")
    app.signed_in_as(alice)
    page = app.page
    banner = page.locator("#conn")
    search = page.get_by_role("searchbox", name="Search chats")
    app.open_chat("Bob Martin")  # its messages loaded while online
    expect(app.message("Message number 30")).to_be_visible()
    if size == "phone":
        page.get_by_role("link", name="Back to chats").click()

    # the browser may ask for the page's icon meanwhile, and fail
    with app.watch.expect_problems(r"/icon\.svg net::ERR_INTERNET_DISCONNECTED", r"Failed to load resource"):
        app.context.set_offline(True)
        expect(banner).to_have_attribute("data-state", "offline")
        expect(banner).to_be_visible()
        assert not _overlap(banner.bounding_box(), search.bounding_box())
        search.click()  # not under anything: the click reaches it
        expect(search).to_be_focused()
        app.screenshot(f"{size}-offline-chat-list")

        app.open_chat("Bob Martin")
        expect(app.message("Message number 30")).to_be_in_viewport()
        for part in (".chat-header", ".messages", ".composer"):
            assert not _overlap(banner.bounding_box(), page.locator(part).bounding_box()), part
        # the top of the chat, scrolled to: below the banner, in full
        page.locator(".messages").evaluate("el => el.scrollTo({top: 0})")
        expect(page.locator(".history-edge")).to_contain_text("This is the beginning")
        assert not _overlap(banner.bounding_box(), app.message("Message number 1").bounding_box())
        app.screenshot(f"{size}-offline-chat")

        app.context.set_offline(False)
    expect(banner).to_have_attribute("data-state", "online")
    expect(banner).to_be_hidden()  # "Back online", then it goes


def test_a_chat_opened_offline_waits_for_the_connection_instead_of_asking_again_and_again(
    new_app: Callable[..., App], api: Api
) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    api.say(bob, api.direct(alice, bob), "Read me when you are back")
    app = new_app("alice").signed_in_as(alice)
    asked: list[str] = []
    app.page.on("request", lambda r: "/messages" in r.url and asked.append(r.url))
    with app.watch.expect_problems(r"ERR_INTERNET_DISCONNECTED", r"Failed to load resource"):
        app.context.set_offline(True)
        expect(app.page.locator("#conn")).to_have_attribute("data-state", "offline")
        app.open_chat("Bob Martin")  # its messages were never loaded
        app.page.wait_for_timeout(2000)
        assert len(asked) <= 2, asked  # tried, then waits
        expect(app.page.locator(".toast.error")).to_have_count(0)  # the strip says it all
        app.context.set_offline(False)
    expect(app.message("Read me when you are back")).to_be_visible()
