"""A group of three, made and run from the browser: create, talk, rename, remove, add, leave."""

from __future__ import annotations

import re
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


def test_a_groups_info_its_members_and_its_invite_links_in_chinese(new_app: Callable[..., App], api: Api) -> None:
    me, wang, li, zhao = (
        api.register("lin", "小林"),
        api.register("wang", "小王"),
        api.register("li", "小李"),
        api.register("zhao", "小赵"),
    )
    for friend in (wang, li, zhao):
        api.befriend(me, friend)
    group = api.group(me, "周末爬山", [wang, li])
    handles = "|".join(re.escape(p.handle) for p in (me, wang, li, zhao))
    a = new_app("lin", locale="zh-CN").signed_in_as(me, f"chats/{group}")
    page = a.page
    page.locator(".chat-header .chat-title").click()  # the title opens the info
    info = page.get_by_role("dialog", name="群聊信息")
    expect(info.locator(".section-title")).to_contain_text("3 位成员")
    expect(info.locator(".member-name", has_text="小林（我）")).to_be_visible()
    expect(info.locator(".tag")).to_have_text("群主")
    assert a.untranslated(within="dialog") == []

    # removing a member asks first
    info.get_by_role("button", name="移除 小李").click()
    ask = page.get_by_role("dialog", name="将 小李 移出群聊？")
    assert a.untranslated(within="dialog.confirm") == []
    ask.get_by_role("button", name="取消").click()

    # adding members: the only friend not in it yet
    info.get_by_role("button", name="添加", exact=True).click()
    add = page.get_by_role("dialog", name="添加成员")
    expect(add.locator("label.pick-item")).to_have_count(1)
    assert a.untranslated(handles, within="dialog:last-of-type") == []
    add.get_by_role("button", name="关闭").click()

    # renaming
    info.get_by_label("群聊名称").fill("周日爬山")
    info.get_by_role("button", name="改名").click()
    expect(page.locator(".toast", has_text="群聊名称已修改。")).to_be_visible()

    # its invite links: none, then one, with its QR code
    info.get_by_role("button", name="邀请链接").click()
    invites = page.get_by_role("dialog", name="邀请链接")
    expect(invites.locator(".invite-list")).to_contain_text("还没有邀请链接。")
    assert invites.get_by_label("有效期").locator("option").all_inner_texts() == ["1 小时", "1 天", "7 天"]
    assert invites.get_by_label("可加入人数").locator("option").all_inner_texts()[:3] == ["不限", "1 人", "5 人"]
    assert a.untranslated(within="dialog.invites-dialog") == []
    invites.get_by_role("button", name="创建链接").click()
    expect(invites.locator(".invite-item")).to_have_count(1)
    expect(invites.locator(".invite-item")).to_contain_text("尚未使用")
    expect(invites.get_by_role("button", name="复制链接")).to_be_visible()
    # the link itself is an address: not a word to translate
    assert a.untranslated(r"https?://\S+", within="dialog.invites-dialog") == []
    a.screenshot("zh-group-invite-links")
    invites.get_by_role("button", name="撤销").click()
    ask = page.get_by_role("dialog", name="撤销此邀请链接？")
    assert a.untranslated(within="dialog.confirm") == []
    ask.get_by_role("button", name="撤销").click()
    expect(page.locator(".toast", has_text="邀请链接已撤销。")).to_be_visible()
    invites.get_by_role("button", name="关闭").click()

    # leaving
    info.get_by_role("button", name="退出群聊").click()
    ask = page.get_by_role("dialog", name="退出这个群聊？")
    expect(ask).to_contain_text("你将不再收到该群的消息。")
    assert a.untranslated(within="dialog.confirm") == []
    ask.get_by_role("button", name="退出", exact=True).click()
    expect(page.locator(".toast", has_text="你已退出 周日爬山。")).to_be_visible()
    assert a.untranslated(within="#toasts") == []
