"""Message search in the browser: Chinese and English, only what the searcher may see, marked, in
pages, and a result opens its chat there with the history around it."""

from __future__ import annotations

import re
from collections.abc import Callable

from kithweb import Api, App
from playwright.sync_api import expect


def test_search_finds_only_what_you_may_see_and_jumps_to_it(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    carol = api.register("carol", "Carol Wu")
    api.befriend(alice, bob)
    api.befriend(bob, carol)
    ours = api.direct(alice, bob)
    theirs = api.direct(bob, carol)
    secret = api.group(bob, "Secret plans", [carol])
    # what Alice may not see, though it matches her words
    api.say(bob, theirs, "北京的预算 budget review, between us")
    api.say(carol, secret, "北京 budget review in the group")
    api.say(bob, ours, "before the duck")
    api.say(bob, ours, "我们明天去北京吃烤鸭")
    api.say(alice, ours, "after the duck")
    api.say(alice, ours, "The quarterly budget review moved to Friday")
    api.say(bob, ours, "<b>markup</b> <img src=x onerror=alert(1)> stays text")
    for n in range(1, 26):
        api.say(bob if n % 2 else alice, ours, f"lantern festival note {n}")
    for n in range(1, 61):
        api.say(bob, ours, f"filler {n}")

    app = new_app("alice").signed_in_as(alice)
    page = app.page
    box = page.get_by_role("searchbox", name="Search chats and messages")
    found = page.locator(".found-item")

    # Chinese: two characters, found inside a sentence without spaces; only in Alice's own chat
    box.fill("北京")
    expect(found).to_have_count(1)
    expect(found.locator(".chat-name")).to_have_text("Bob Martin")
    expect(found.locator(".found-text")).to_have_text("我们明天去北京吃烤鸭")
    expect(found.locator("mark")).to_have_text(["北京"])
    app.screenshot("search-chinese")

    # a tap opens the chat at that message, far up its history, with what came before and after it
    found.click()
    expect(page.locator(".chat-title")).to_have_text("Bob Martin")
    target = app.message("我们明天去北京吃烤鸭")
    expect(target).to_be_in_viewport()
    expect(target).to_have_class(re.compile(r"\bflash\b"))
    expect(app.message("before the duck")).to_be_attached()
    expect(app.message("after the duck")).to_be_attached()
    expect(app.message("filler 60")).to_have_count(0)  # the newest are not read yet
    app.screenshot("search-opened")
    # and the way back to the newest messages
    page.get_by_role("button", name="Latest messages").click()
    expect(app.message("filler 60")).to_be_in_viewport()
    expect(app.message("我们明天去北京吃烤鸭")).to_have_count(0)

    # English: words in any case, the last one a prefix, marked where they match
    box.fill("BUDGET rev")
    expect(found).to_have_count(1)
    expect(found.locator(".found-text")).to_have_text("You: The quarterly budget review moved to Friday")
    expect(found.locator("mark")).to_have_text(["budget", "rev"])
    found.click()
    expect(app.message("The quarterly budget review moved to Friday")).to_be_in_viewport()

    # what someone wrote is shown as text, whatever it looks like
    box.fill("onerror")
    expect(found.locator(".found-text")).to_contain_text("<img src=x onerror=alert(1)> stays text")
    expect(page.locator(".found img, .found b")).to_have_count(0)

    # twenty a page, the next on request, newest first
    box.fill("lantern")
    expect(found).to_have_count(20)
    expect(found.first.locator(".found-text")).to_contain_text("note 25")
    page.get_by_role("button", name="More messages").click()
    expect(found).to_have_count(25)
    expect(found.last.locator(".found-text")).to_contain_text("note 1")
    expect(page.get_by_role("button", name="More messages")).to_be_hidden()

    # nothing, said plainly; punctuation alone is not even asked for
    box.fill("zzyzx")
    expect(page.get_by_text("No messages found.")).to_be_visible()
    box.fill("?!")
    expect(page.get_by_text("Type a word to look for.")).to_be_visible()
    box.fill("")
    expect(page.locator(".found")).to_be_hidden()
    expect(app.chat_item("Bob Martin")).to_be_visible()


def test_the_messages_a_search_finds_in_chinese(new_app: Callable[..., App], api: Api) -> None:
    lin, wang = api.register("lin", "小林"), api.register("wang", "小王")
    api.befriend(lin, wang)
    ours = api.direct(lin, wang)
    group = api.group(lin, "周末", [wang])
    api.say(wang, ours, "明天去北京吃烤鸭")
    api.say(lin, group, "北京见")
    for n in range(1, 22):
        api.say(wang, ours, f"灯笼第 {n} 盏")
    app = new_app("lin", locale="zh-CN").signed_in_as(lin)
    page = app.page
    box = page.locator(".search-input")
    found = page.locator(".found-item")
    results = "section.found"

    box.fill("北京")
    expect(found).to_have_count(2)
    expect(page.get_by_role("heading", name="消息")).to_be_visible()
    expect(found.locator(".found-text")).to_have_text(["你：北京见", "明天去北京吃烤鸭"])
    assert app.untranslated(within=results) == []

    # twenty a page, then more
    box.fill("灯笼")
    expect(found).to_have_count(20)
    more = page.get_by_role("button", name="更多消息")
    expect(more).to_be_visible()
    assert app.untranslated(within=results) == []
    more.click()
    expect(found).to_have_count(21)

    # nothing found, or nothing to look for
    box.fill("zzyzx")
    expect(page.locator("section.found .found-status")).to_have_text("没有找到相关消息。")
    assert app.untranslated(within=results) == []
    box.fill("?!")
    expect(page.locator("section.found .found-status")).to_have_text("请输入要搜索的字词。")
    assert app.untranslated(within=results) == []

    # a result opens its chat at the message
    box.fill("烤鸭")
    found.click()
    expect(page.locator(".chat-title")).to_have_text("小王")
    expect(page.locator(".msg", has=page.locator(".msg-text", has_text="明天去北京吃烤鸭"))).to_be_in_viewport()
    assert app.untranslated(re.escape(wang.handle), within="section.chat") == []
