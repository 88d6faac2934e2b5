"""The composer's emoji picker: built in (nothing fetched), grouped, a pick goes in at the caret."""

from __future__ import annotations

from collections.abc import Callable

from kithweb import Api, App
from playwright.sync_api import expect


def test_emoji_go_in_at_the_caret_from_a_built_in_picker(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    conversation = api.direct(alice, bob)
    app = new_app("alice").signed_in_as(alice, f"chats/{conversation}")
    page = app.page
    app.composer.fill("Hello world")
    app.composer.evaluate("el => el.setSelectionRange(5, 5)")  # the caret after "Hello"

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.get_by_role("button", name="Emoji").click()
    picker = page.get_by_role("dialog", name="Emoji")
    expect(picker).to_be_visible()
    for group in ("Smileys", "Gestures", "Hearts and symbols", "Animals and nature", "Food and drink", "Things"):
        expect(picker.get_by_role("heading", name=group)).to_be_attached()
    expect(picker.get_by_role("button", name="grinning")).to_be_focused()
    app.screenshot("emoji-picker")

    picker.get_by_role("button", name="thumbs up", exact=True).click()
    expect(app.composer).to_have_value("Hello👍 world")
    expect(picker).to_be_visible()  # open for more
    # the keyboard: the arrows move in the grid (a row is 8), Enter picks
    picker.get_by_role("button", name="thumbs up", exact=True).focus()
    page.keyboard.press("ArrowRight")
    expect(picker.get_by_role("button", name="thumbs down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(app.composer).to_have_value("Hello👍👎 world")
    page.keyboard.press("ArrowDown")
    expect(picker.get_by_role("button", name="strong")).to_be_focused()  # a row down
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # from the first row up into the group above, the same column
    expect(picker.get_by_role("button", name="crying", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(app.composer).to_be_focused()
    assert requests == []  # the picker needs nothing from anywhere

    # typing goes on at the caret, and the message goes as written
    page.keyboard.type("!")
    expect(app.composer).to_have_value("Hello👍👎! world")
    app.composer.press("Enter")
    expect(app.message("Hello👍👎! world")).to_have_attribute("data-state", "sent")
    assert api.messages(bob, conversation)[-1]["text"] == "Hello👍👎! world"

    # the ones used last come first next time; a click elsewhere closes it
    page.get_by_role("button", name="Emoji").click()
    recent = picker.locator(".emoji-group").first
    expect(recent.get_by_role("heading")).to_have_text("Recently used")
    expect(recent.locator(".emoji")).to_have_text(["👎", "👍"])
    page.locator(".chat-title").click()
    expect(picker).to_be_hidden()
