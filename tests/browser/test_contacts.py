"""Contacts in the browser: remarks, declining, blocking and unblocking, removing a friend."""

from __future__ import annotations

import re
from collections.abc import Callable

from kithweb import PHONE, Api, App
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


# -- in Chinese ------------------------------------------------------------------------------------


def test_the_chat_list_contacts_and_their_dialogs_in_chinese(new_app: Callable[..., App], api: Api) -> None:
    me, wang, zhang, li = (
        api.register("lin", "小林"),
        api.register("wang", "小王"),
        api.register("zhang", "小张"),
        api.register("li", "小李"),
    )
    api.befriend(me, wang)
    api.befriend(me, li)
    api.say(wang, api.direct(me, wang), "晚上一起吃饭吗？")
    api.group(me, "", [wang, li])  # no name: its title is its members' names
    api.call(zhang, "POST", "/friend-requests", json={"handle": me.handle, "greeting": "你好，我是小张"})
    handles = "|".join(re.escape(p.handle) for p in (me, wang, zhang, li))
    a = new_app("lin", locale="zh-CN").signed_in_as(me)
    page = a.page

    # the tab rail, with its badges said in Chinese
    rail = page.locator("nav.rail")
    expect(rail).to_have_attribute("aria-label", "主导航")
    expect(rail.locator(".rail-tab[data-tab=contacts]")).to_have_attribute("aria-label", "通讯录，1 条好友申请")
    assert a.untranslated(within="nav.rail") == []

    # the chat list: a group named after its members, a direct chat; the empty main pane
    expect(page.get_by_role("heading", name="聊天", exact=True)).to_be_visible()
    expect(a.chat_item("小王、小李")).to_be_visible()
    assert a.untranslated(within="section.list-pane") == []
    assert a.untranslated(within="#main") == []
    expect(page.locator("#main")).to_contain_text("选择一个聊天")
    assert a.untranslated() == []  # the whole screen: user text (the previews) is left out

    # the new-chat menu, and a chat's own menu
    page.get_by_role("button", name="新建聊天").click()
    expect(page.get_by_role("menu", name="新建聊天")).to_be_visible()
    assert a.untranslated(within=".menu") == []
    page.keyboard.press("Escape")
    a.chat_item("小王").click(button="right")
    menu = page.get_by_role("menu", name="“小王”的选项")
    expect(menu.get_by_role("menuitem", name="置顶")).to_be_visible()
    assert a.untranslated(within=".menu") == []
    menu.get_by_role("menuitem", name="置顶").click()
    expect(a.chat_item("小王").locator(".chat-flag")).to_have_attribute("aria-label", "已置顶")
    assert a.untranslated(within="section.list-pane") == []

    # a search that finds no chat
    search = page.get_by_role("searchbox", name="搜索聊天和消息")
    search.fill("没有这个人")
    expect(page.locator(".list-empty .found-status")).to_have_text("没有名为“没有这个人”的聊天。")
    assert a.untranslated(within=".list-empty") == []
    search.fill("")

    # add a friend: the dialog, its error, a person found
    page.get_by_role("button", name="新建聊天").click()
    page.get_by_role("menuitem", name="添加朋友").click()
    dialog = page.get_by_role("dialog", name="添加朋友")
    dialog.get_by_role("button", name="查找").click()
    expect(dialog.locator(".field-msg.error")).to_have_text("请输入你想添加的人的用户名。")
    assert a.untranslated(r"\balice\b", within="dialog") == []
    dialog.get_by_label("对方的用户名").fill(zhang.handle)
    dialog.get_by_role("button", name="查找").click()
    expect(dialog.get_by_role("button", name="接受")).to_be_visible()
    expect(dialog).to_contain_text("小张 已经申请加你为朋友。")
    assert a.untranslated(handles, r"\balice\b", within="dialog") == []
    dialog.get_by_label("对方的用户名").fill(me.handle)
    dialog.get_by_role("button", name="查找").click()
    expect(dialog).to_contain_text("这是你自己！")
    dialog.get_by_role("button", name="关闭").click()

    # a new group: the dialog with its friend picker
    page.get_by_role("button", name="新建聊天").click()
    page.get_by_role("menuitem", name="发起群聊").click()
    dialog = page.get_by_role("dialog", name="发起群聊")
    expect(dialog.get_by_role("button", name="创建群聊")).to_be_disabled()
    assert a.untranslated(handles, within="dialog") == []
    dialog.get_by_role("searchbox", name="搜索朋友").fill("不存在")
    expect(dialog).to_contain_text("没有匹配的朋友。")
    dialog.get_by_role("button", name="关闭").click()

    # Contacts: the list, the requests, and accepting one
    rail.locator(".rail-tab[data-tab=contacts]").click()
    expect(page.get_by_role("heading", name="通讯录", exact=True)).to_be_visible()
    expect(page.locator("section.list-pane")).to_contain_text("朋友 · 2")
    assert a.untranslated(handles, within="section.list-pane") == []
    assert a.untranslated(within="#main") == []
    page.get_by_role("link", name=re.compile("新的朋友")).click()
    expect(page.get_by_role("heading", name="请求添加你为朋友")).to_be_visible()
    assert a.untranslated(handles, within="#main") == []
    page.locator(".request", has_text="小张").get_by_role("button", name="接受").click()
    expect(page.locator(".toast")).to_have_text("你和 小张 已经是朋友了。")
    assert a.untranslated(within="#toasts") == []
    expect(page.locator("#main")).to_contain_text("还没有好友申请")
    assert a.untranslated(within="#main") == []

    # a friend's profile, and the questions it asks
    page.get_by_role("list", name="朋友").get_by_role("link", name=re.compile("^小王")).click()
    expect(page.get_by_label("备注（仅自己可见）")).to_be_visible()
    assert a.untranslated(handles, within="#main") == []
    page.get_by_label("备注（仅自己可见）").fill("王哥")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".toast", has_text="备注已保存。")).to_be_visible()
    page.get_by_role("button", name="屏蔽").click()
    dialog = page.get_by_role("dialog", name="屏蔽 小王？")
    assert a.untranslated(within="dialog") == []
    dialog.get_by_role("button", name="屏蔽").click()
    expect(page.get_by_role("button", name="取消屏蔽")).to_be_visible()
    expect(page.locator(".contact-list .tag", has_text="已屏蔽")).to_be_visible()
    assert a.untranslated(handles, within="section.list-pane") == []
    page.get_by_role("button", name="删除朋友").click()
    dialog = page.get_by_role("dialog", name="将 小王 从朋友中移除？")
    assert a.untranslated(within="dialog") == []
    dialog.get_by_role("button", name="取消").click()
    a.screenshot("zh-contacts-profile")

    # someone accepts her request: a word on screen
    zhao = api.register("zhao", "小赵")
    sent = api.call(me, "POST", "/friend-requests", json={"handle": zhao.handle, "greeting": ""})
    api.call(zhao, "POST", f"/friend-requests/{sent['request']['id']}/accept")
    expect(page.locator(".toast", has_text="小赵 已通过你的好友申请，打个招呼吧！")).to_be_visible()
    assert a.untranslated(within="#toasts") == []


def test_an_empty_account_in_chinese_on_a_phone(new_app: Callable[..., App], api: Api) -> None:
    me = api.register("lin", "小林")
    a = new_app("lin", viewport=PHONE, locale="zh-CN").signed_in_as(me)
    page = a.page
    expect(page.get_by_role("heading", name="还没有聊天")).to_be_visible()
    assert a.untranslated() == []
    a.screenshot("zh-phone-chats-empty")
    page.locator(".rail-tab[data-tab=contacts]").click()
    expect(page.get_by_role("heading", name="还没有朋友")).to_be_visible()
    assert a.untranslated() == []
    a.screenshot("zh-phone-contacts-empty")
    page.get_by_role("link", name=re.compile("新的朋友")).click()
    expect(page.get_by_role("heading", name="还没有好友申请")).to_be_visible()
    assert a.untranslated() == []

    # no subscriptions yet; the privacy switch
    page.goto(f"{a.base_url}/#/chats/subscriptions")
    expect(page.get_by_role("heading", name="还没有订阅号")).to_be_visible()
    assert a.untranslated() == []
    page.goto(f"{a.base_url}/#/me/privacy")
    expect(page.get_by_role("switch", name="“正在输入”提示")).to_be_checked()
    assert a.untranslated(within="#main") == []

    # the chats cannot be loaded: said so, with a way to try again
    page.route(
        "**/api/v1/friend-requests",
        lambda route: route.fulfill(status=500, json={"error": {"code": "internal", "message": "internal error"}}),
    )
    with a.watch.expect_problems(r"HTTP 500: GET .*/friend-requests$", r"status of 500", r"net::ERR_ABORTED"):
        page.goto(f"{a.base_url}/#/chats")
        page.reload()
        expect(page.get_by_role("heading", name="无法加载你的聊天")).to_be_visible()
        expect(page.locator("#main")).to_contain_text("服务器出错了，请重试。")
    assert a.untranslated(within="#main") == []
    page.unroute("**/api/v1/friend-requests")
    page.get_by_role("button", name="重试").click()
    expect(page.get_by_role("heading", name="还没有聊天")).to_be_visible()
    a.wait_online()
