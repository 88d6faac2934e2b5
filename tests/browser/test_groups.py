"""A group of three, made and run from the browser: create, talk, rename, remove, add, leave."""

from __future__ import annotations

from collections.abc import Callable

from kithweb import Api, App
from playwright.sync_api import expect


def test_group_of_three(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, carol = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("carol", "Carol Díaz"),
    )
    api.befriend(alice, bob)
    api.befriend(alice, carol)  # Bob and Carol do not know each other
    a = new_app("alice").signed_in_as(alice)
    b = new_app("bob").signed_in_as(bob)
    c = new_app("carol").signed_in_as(carol)

    # Alice creates the group
    a.page.get_by_role("button", name="New chat").click()
    a.page.get_by_role("menuitem", name="New group").click()
    dialog = a.page.get_by_role("dialog", name="New group")
    create = dialog.get_by_role("button", name="Create group")
    expect(create).to_be_disabled()
    dialog.get_by_label("Group name (optional)").fill("Book club")
    dialog.locator("label.pick-item", has_text="Bob Martin").click()
    dialog.locator("label.pick-item", has_text="Carol Díaz").click()
    create.click()
    expect(a.page.locator(".chat-title")).to_have_text("Book club")
    expect(a.page.locator(".chat-subtitle")).to_have_text("3 members")
    expect(a.log.get_by_text("You created the group “Book club” with Bob Martin and Carol Díaz")).to_be_visible()

    # it appears live for the others, and everyone talks
    expect(b.chat_item("Book club")).to_be_visible()
    expect(c.chat_item("Book club").locator(".chat-preview")).to_have_text(
        "Alice Chen created the group “Book club” with Bob Martin and you"
    )
    a.send("Welcome to the book club!")
    b.open_chat("Book club")
    expect(b.message("Welcome to the book club!")).to_be_visible()
    b.send("Thanks! First pick: Dune?")
    c.open_chat("Book club")
    c.send("Yes please")
    for app in (a, b, c):
        expect(app.page.locator(".msg .msg-text")).to_have_text(
            ["Welcome to the book club!", "Thanks! First pick: Dune?", "Yes please"]
        )
    # Bob sees Carol's name although they are not friends
    expect(b.message("Yes please").locator(".msg-sender")).to_have_text("Carol Díaz")
    expect(a.chat_item("Book club").locator(".chat-preview")).to_have_text("Carol Díaz: Yes please")

    # any member may rename it
    b.page.get_by_role("button", name="Chat info").first.click()
    info = b.page.get_by_role("dialog", name="Group info")
    expect(info.get_by_role("list", name="Members").get_by_role("listitem")).to_have_count(3)
    info.get_by_label("Group name").fill("Sci-fi book club")
    info.get_by_role("button", name="Rename").click()
    b.page.keyboard.press("Escape")
    for app in (a, b, c):
        expect(app.page.locator(".chat-title")).to_have_text("Sci-fi book club")
    expect(c.log.get_by_text("Bob Martin renamed the group to “Sci-fi book club”")).to_be_visible()

    # the owner removes Carol; she is told, the others see a notice
    a.page.get_by_role("button", name="Chat info").first.click()
    info = a.page.get_by_role("dialog", name="Group info")
    info.get_by_role("button", name="Remove Carol Díaz").click()
    a.page.get_by_role("dialog", name="Remove Carol Díaz from the group?").get_by_role("button", name="Remove").click()
    expect(info.get_by_role("list", name="Members").get_by_role("listitem")).to_have_count(2)
    expect(c.page.get_by_text("You were removed from this group")).to_be_visible()
    expect(c.chat_item("Sci-fi book club")).to_have_count(0)
    expect(b.log.get_by_text("Alice Chen removed Carol Díaz")).to_be_visible()
    expect(b.page.locator(".chat-subtitle")).to_have_text("2 members")

    # ... and adds her back: she sees the group again, from her return on
    info.get_by_role("button", name="Add").click()
    add = a.page.get_by_role("dialog", name="Add members")
    add.locator("label.pick-item", has_text="Carol Díaz").click()
    add.get_by_role("button", name="Add", exact=True).click()
    expect(add).to_be_hidden()
    expect(info.get_by_role("list", name="Members").get_by_role("listitem")).to_have_count(3)
    a.page.keyboard.press("Escape")
    c.open_chat("Sci-fi book club")
    expect(c.log.get_by_text("Alice Chen added you")).to_be_visible()
    expect(c.message("Welcome to the book club!")).to_have_count(0)
    c.send("Glad to be back")
    expect(b.message("Glad to be back")).to_be_visible()

    # Bob leaves
    b.page.get_by_role("button", name="Chat info").first.click()
    b.page.get_by_role("dialog", name="Group info").get_by_role("button", name="Leave group").click()
    b.page.get_by_role("dialog", name="Leave this group?").get_by_role("button", name="Leave").click()
    expect(b.chat_item("Sci-fi book club")).to_have_count(0)
    expect(b.page.get_by_text("Pick a chat")).to_be_visible()
    expect(a.log.get_by_text("Bob Martin left the group")).to_be_visible()
    expect(c.page.locator(".chat-subtitle")).to_have_text("2 members")


def test_the_chat_list_names_group_members_who_are_not_your_friends(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, carol, dan = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("carol", "Carol Díaz"),
        api.register("dan", "Dan Okafor"),
    )
    for friend in (alice, carol, dan):  # Bob knows everyone; Alice knows only Bob
        api.befriend(bob, friend)
    club = api.group(bob, "Climbing club", [alice, carol, dan])
    api.say(carol, club, "See you at the wall at 7")
    a = new_app("alice").signed_in_as(alice)
    preview = a.chat_item("Climbing club").locator(".chat-preview")

    # from the first screen, before the group was ever opened
    expect(preview).to_have_text("Carol Díaz: See you at the wall at 7")
    # and live, from someone else she does not know
    api.say(dan, club, "I'll bring the rope")
    expect(preview).to_have_text("Dan Okafor: I'll bring the rope")
    api.say(carol, club, "Great")
    expect(preview).to_have_text("Carol Díaz: Great")
    a.reload()
    a.wait_online()
    expect(preview).to_have_text("Carol Díaz: Great")
