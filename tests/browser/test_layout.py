"""How the client looks and moves at desktop and phone widths (and the screenshots for people)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kithweb import DESKTOP, PHONE, Account, Api, App
from playwright.sync_api import expect


def _scene(api: Api) -> tuple[Account, dict[str, Account]]:
    """Alice with a handful of friends, a busy group, and some unread messages."""
    alice = api.register("alice", "Alice Chen")
    names = {"bob": "Bob Martin", "carol": "Carol Díaz", "dan": "Dan Okafor", "eve": "Eve Laurent"}
    people = {key: api.register(key, name) for key, name in names.items()}
    for person in people.values():
        api.befriend(alice, person)
    bob, carol, dan, eve = people["bob"], people["carol"], people["dan"], people["eve"]
    for a, b in ((bob, carol), (bob, dan), (carol, dan)):
        api.befriend(a, b)

    with_eve = api.direct(alice, eve)
    api.say(eve, with_eve, "Did you see the photos from the lake?")
    api.say(alice, with_eve, "Yes! The sunset one is my new wallpaper")
    api.call(alice, "PATCH", f"/conversations/{with_eve}/prefs", json={"pinned": True})

    with_dan = api.direct(alice, dan)
    api.say(dan, with_dan, "Band practice moved to Thursday")
    api.call(alice, "PATCH", f"/conversations/{with_dan}/prefs", json={"muted": True})
    api.say(dan, with_dan, "Bring the new setlist")

    with_bob = api.direct(alice, bob)
    api.say(alice, with_bob, "Thanks for lending me the tent")
    api.say(bob, with_bob, "Anytime. Keep it for the hike")

    hike = api.group(bob, "Weekend hike", [alice, carol, dan])
    api.say(bob, hike, "Who's in for Saturday? The forecast looks great")
    api.say(carol, hike, "Me! Which trail?")
    plan = api.say(alice, hike, "How about the ridge loop? About 12 km, lovely views at the top")
    api.say(dan, hike, "Count me in. I'll bring snacks")
    api.say(bob, hike, "Perfect. Meet at the station at 8:30?", reply_to=plan["seq"])
    api.say(alice, hike, "Works for me")
    api.say(carol, hike, "See you there!\nI'll bring the map")

    with_carol = api.direct(carol, alice)
    api.say(carol, with_carol, "Thanks for the book tip!")
    api.say(carol, with_carol, "Finished it in two evenings")
    return alice, people


@pytest.mark.parametrize(
    ("size", "viewport", "scheme"),
    [("desktop", DESKTOP, "light"), ("phone", PHONE, "light"), ("desktop", DESKTOP, "dark"), ("phone", PHONE, "dark")],
)
def test_chat_list_and_open_chat_screenshots(
    new_app: Callable[..., App], api: Api, size: str, viewport: dict[str, int], scheme: str
) -> None:
    alice, _ = _scene(api)
    phone = size == "phone"
    app = new_app(f"alice-{size}", viewport=viewport, is_mobile=phone, has_touch=phone, color_scheme=scheme)
    app.signed_in_as(alice)
    page = app.page
    shot = size if scheme == "light" else f"{size}-dark"

    items = page.locator("a.chat-item .chat-name")
    expect(items).to_have_text(["Eve Laurent", "Carol Díaz", "Weekend hike", "Bob Martin", "Dan Okafor"])
    expect(app.chat_item("Carol Díaz").locator(".badge")).to_have_text("2")
    expect(app.chat_item("Weekend hike").locator(".badge")).to_have_text("1")
    expect(app.chat_item("Dan Okafor").locator(".dot")).to_be_visible()  # muted: a dot, not a count
    expect(app.tab_badge("chats")).to_have_text("4")
    page.mouse.move(0, viewport["height"] - 1)
    app.screenshot(f"{shot}-chat-list")

    app.open_chat("Weekend hike")
    expect(app.message("See you there!\nI'll bring the map")).to_be_visible()
    expect(app.message("Perfect. Meet at the station at 8:30?").locator(".quote")).to_contain_text("ridge loop")
    expect(app.chat_item("Weekend hike").locator(".badge")).to_have_count(0)
    if size == "phone":
        expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
        expect(page.locator(".list-pane")).to_be_hidden()
    else:
        expect(page.locator(".list-pane")).to_be_visible()
    page.mouse.move(0, viewport["height"] - 1)
    app.screenshot(f"{shot}-chat")

    if size == "phone":
        page.get_by_role("link", name="Back to chats").click()
        expect(page.locator(".list-pane")).to_be_visible()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_keyboard_alone(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, carol = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("carol", "Carol Díaz"),
    )
    api.befriend(alice, bob)
    api.befriend(alice, carol)
    api.say(bob, api.direct(alice, bob), "Older news")
    api.say(carol, api.direct(alice, carol), "Newer news")
    app = new_app("alice").signed_in_as(alice)
    page = app.page
    focused_key = "document.activeElement?.getAttribute('aria-label') || document.activeElement?.className"

    # Tab reaches the search box, the arrow keys walk the list
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.type") == "search":
            break
    expect(page.get_by_role("searchbox", name="Search chats")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(app.chat_item("Carol Díaz")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(app.chat_item("Bob Martin")).to_be_focused()

    # the item's menu from the keyboard: pin Bob to the top
    page.keyboard.press("Shift+F10")
    expect(page.get_by_role("menuitem", name="Pin to top")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("a.chat-item .chat-name")).to_have_text(["Bob Martin", "Carol Díaz"])
    expect(app.chat_item("Bob Martin")).to_be_focused()

    # Enter opens the chat, the composer has focus, Enter sends
    page.keyboard.press("Enter")
    expect(page.locator(".chat-title")).to_have_text("Bob Martin")
    expect(app.composer).to_be_focused()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Enter")
    expect(app.message("Typed without a mouse")).to_have_attribute("data-state", "sent")

    # into the messages, onto one, and reply to it
    app.log.focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(app.message("Older news")).to_be_focused()
    page.keyboard.press("Tab")
    expect(app.message("Older news").get_by_role("button", name="Message actions")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem", name="Reply")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".reply-bar")).to_contain_text("Replying to Bob Martin")
    expect(app.composer).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(".reply-bar")).to_be_hidden()

    # a dialog opens from the keyboard and Escape closes it, giving focus back
    info = page.get_by_role("button", name="Chat info").last
    info.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Chat info")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate(focused_key) == "Chat info"


def test_history_loads_as_you_scroll_up_without_jumping(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    conversation = api.direct(alice, bob)
    for n in range(1, 121):
        api.say(bob if n % 3 else alice, conversation, f"Message number {n}")
    app = new_app("alice").signed_in_as(alice, f"chats/{conversation}")
    page = app.page
    rows = page.locator(".msg .msg-text")
    expect(app.message("Message number 120")).to_be_in_viewport()
    expect(rows).to_have_count(40)

    # scrolling up loads the page before, keeping what you were looking at in place
    to_top = "el => { el.scrollTo({top: 0}); return el.querySelector('.msg').getBoundingClientRect().top }"
    for first, loaded in ((81, 80), (41, 120)):
        before = page.locator(".messages").evaluate(to_top)  # where the oldest message was
        expect(rows).to_have_count(loaded)
        page.wait_for_function("() => !document.querySelector('.history-edge .spinner')")
        after = app.message(f"Message number {first}").bounding_box()
        assert after and abs(after["y"] - before) < 2, (before, after)  # and still is
    page.locator(".messages").evaluate("el => el.scrollTo({top: 0})")
    expect(page.get_by_text("This is the beginning of your chat with Bob Martin.")).to_be_visible()
    expect(rows.first).to_have_text("Message number 1")

    # a new message while reading old ones: no jump, a pill instead, and it stays unread until seen
    api.say(bob, conversation, "Something new")
    pill = page.get_by_role("button", name="New messages")
    expect(pill).to_be_visible()
    expect(rows.first).to_be_in_viewport()
    expect(app.chat_item("Bob Martin").locator(".badge")).to_have_text("1")
    pill.click()
    expect(app.message("Something new")).to_be_in_viewport()
    expect(pill).to_be_hidden()
    expect(app.chat_item("Bob Martin").locator(".badge")).to_have_count(0)


# the lines a text is laid out on, and where its last glyph ends
LINES = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const rects = [...range.getClientRects()].filter((r) => r.width > 0);
  return {lines: new Set(rects.map((r) => Math.round(r.top))).size, right: Math.max(...rects.map((r) => r.right))};
}"""
SHORT = ["Ok", "Count me in. I'll bring snacks", "See you at the station at 8", "Me! Which trail?", "Works for me 👍"]


def test_short_messages_on_a_phone_keep_to_one_line_with_their_time(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, carol = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("carol", "Carol Díaz"),
    )
    api.befriend(alice, bob)
    api.befriend(alice, carol)
    hike = api.group(alice, "Weekend hike", [bob, carol])
    for n, text in enumerate(SHORT):
        api.say((bob, carol, alice)[n % 3], hike, text)
    with_bob = api.direct(alice, bob)
    for n, text in enumerate(SHORT):
        api.say((bob, alice)[n % 2], with_bob, text)
    app = new_app("alice-phone", viewport=PHONE, is_mobile=True, has_touch=True).signed_in_as(alice)

    for chat in ("Weekend hike", "Bob Martin"):
        app.open_chat(chat)
        expect(app.message(SHORT[-1])).to_be_visible()
        one_line = app.message("Ok").locator(".bubble").bounding_box()
        assert one_line
        for text in SHORT:
            bubble = app.message(text).locator(".bubble")
            box, time = bubble.bounding_box(), bubble.locator(".msg-meta time").bounding_box()
            assert box and time
            # as tall as a one-word bubble: the text on one line, the time beside it at its end
            assert box["height"] <= one_line["height"] + 1, (chat, text, box, one_line)
            line = bubble.locator(".msg-text").evaluate(LINES)
            assert line["lines"] == 1, (chat, text)
            assert line["right"] <= time["x"], (chat, text)  # the time after the text, not under it
        app.screenshot(f"phone-short-messages-{'group' if chat == 'Weekend hike' else 'direct'}")
        app.page.get_by_role("link", name="Back to chats").click()


RECTS = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const rects = [...range.getClientRects()].filter((r) => r.width > 0);
  return rects.map((r) => ({x: r.left, y: r.top, right: r.right, bottom: r.bottom}));
}"""


def _apart(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two rectangles ({x, y, right, bottom}) do not overlap."""
    side_by_side = a["right"] <= b["x"] + 0.5 or b["right"] <= a["x"] + 0.5
    return side_by_side or a["bottom"] <= b["y"] + 0.5 or b["bottom"] <= a["y"] + 0.5


def test_right_to_left_text_and_a_stray_override_keep_the_layout(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, carol = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("carol", "Carol Díaz"),
    )
    api.befriend(alice, bob)
    api.befriend(alice, carol)
    api.say(carol, api.direct(alice, carol), "An ordinary message")
    conversation = api.direct(alice, bob)
    stray = "A stray \u202eoverride must not move the time"
    arabic = "مرحبا، هل أنت قادم غدا؟"
    api.say(alice, conversation, "Before")
    api.say(bob, conversation, stray)
    api.say(bob, conversation, arabic)
    api.say(bob, conversation, "After, all in order")
    app = new_app("alice").signed_in_as(alice, f"chats/{conversation}")
    page = app.page
    expect(app.message("After, all in order")).to_be_visible()

    # user text says its own direction
    for element in (app.message(stray).locator(".msg-text"), page.locator(".chat-title"), app.composer):
        expect(element).to_have_attribute("dir", "auto")
    expect(app.chat_item("Bob Martin").locator(".chat-name")).to_have_attribute("dir", "auto")
    assert app.message(arabic).locator(".msg-text").evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert app.message(stray).locator(".msg-text").evaluate("el => getComputedStyle(el).direction") == "ltr"

    for text, side in ((stray, "right"), (arabic, "left"), ("After, all in order", "right"), ("Before", "right")):
        bubble = app.message(text).locator(".bubble")
        box = bubble.bounding_box()
        time = bubble.locator(".msg-meta").evaluate("el => el.getBoundingClientRect().toJSON()")
        assert box
        # the time inside its bubble, in its corner at the text's end, clear of every glyph
        assert box["x"] <= time["left"] and time["right"] <= box["x"] + box["width"], text
        assert box["y"] + box["height"] - time["bottom"] < 12, text
        if side == "right":
            assert box["x"] + box["width"] - time["right"] < 16, text
        else:
            assert time["left"] - box["x"] < 16, text
        time_box = {"x": time["left"], "y": time["top"], "right": time["right"], "bottom": time["bottom"]}
        for glyphs in bubble.locator(".msg-text").evaluate(RECTS):
            assert _apart(glyphs, time_box), (text, glyphs, time_box)
    # the override ends with its message: the next one reads left to right, from its bubble's start
    after = app.message("After, all in order").locator(".msg-text")
    first, *_, last = after.evaluate(RECTS)
    assert first["x"] <= last["x"]
    # and in the chat list, the preview of it leaves the time where the others have it
    api.say(bob, conversation, stray)
    preview = app.chat_item("Bob Martin").locator(".chat-preview")
    expect(preview).to_have_attribute("dir", "auto")
    rights = "els => els.map((el) => el.getBoundingClientRect().right)"
    expect(page.locator("a.chat-item .chat-time")).to_have_count(2)
    bob_time, carol_time = page.locator("a.chat-item .chat-time").evaluate_all(rights)
    assert abs(bob_time - carol_time) < 1
    app.screenshot("desktop-right-to-left")


def test_pin_mute_and_mark_as_read_are_in_sight(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, carol = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("carol", "Carol Díaz"),
    )
    api.befriend(alice, bob)
    api.befriend(alice, carol)
    api.say(bob, api.direct(alice, bob), "Older news")
    api.say(carol, api.direct(alice, carol), "Newer news")
    app = new_app("alice").signed_in_as(alice)
    page = app.page
    names = page.locator("a.chat-item .chat-name")
    expect(names).to_have_text(["Carol Díaz", "Bob Martin"])
    menu = page.get_by_role("menu")

    # in the list: a "…" on hover, no right-click needed
    carol_more = page.get_by_role("button", name="Carol Díaz options")
    expect(carol_more).to_be_hidden()
    app.chat_item("Carol Díaz").hover()
    expect(carol_more).to_be_visible()
    expect(carol_more).to_have_attribute("title", "Pin, mute or mark as read")
    app.screenshot("desktop-chat-list-hover")
    carol_more.click()
    expect(menu.get_by_role("menuitem")).to_have_text(["Pin to top", "Mute", "Mark as read"])
    menu.get_by_role("menuitem", name="Mark as read").click()
    expect(app.chat_item("Carol Díaz").locator(".badge")).to_have_count(0)
    app.chat_item("Bob Martin").hover()
    page.get_by_role("button", name="Bob Martin options").click()
    menu.get_by_role("menuitem", name="Pin to top").click()
    expect(names).to_have_text(["Bob Martin", "Carol Díaz"])

    # in the chat's header: pin and mute, each one press
    app.open_chat("Carol Díaz")
    header = page.locator(".chat-header")
    mute, pin = header.get_by_role("button", name="Mute"), header.get_by_role("button", name="Pin to top")
    expect(mute).to_have_attribute("aria-pressed", "false")
    expect(mute).to_have_attribute("title", "Mute this chat")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".chat-subtitle")).to_contain_text("Muted")
    expect(app.chat_item("Carol Díaz").locator(".chat-flag[aria-label=Muted]")).to_be_visible()
    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "true")
    expect(names).to_have_text(["Carol Díaz", "Bob Martin"])  # the newest pinned first
    listed = api.call(alice, "GET", "/conversations")["conversations"]
    assert [(c["peer"]["display_name"], c["pinned"], c["muted"]) for c in listed] == [
        ("Carol Díaz", True, True),
        ("Bob Martin", True, False),
    ]

    # on a touch screen, a long press on an entry opens its menu
    phone = new_app("alice-phone", viewport=PHONE, is_mobile=True, has_touch=True).signed_in_as(alice)
    box = phone.chat_item("Bob Martin").bounding_box()
    assert box
    touch = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    cdp = phone.context.new_cdp_session(phone.page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [touch]})
    phone.page.wait_for_timeout(800)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    phone.page.get_by_role("menu").get_by_role("menuitem", name="Mark as read").click()
    expect(phone.chat_item("Bob Martin").locator(".badge")).to_have_count(0)
    expect(phone.page.locator(".list-pane")).to_be_visible()  # the press did not open the chat


def _scene_zh(api: Api) -> Account:
    """The same kind of evening as _scene, among people who write Chinese."""
    lin = api.register("lin", "林晓")
    people = {key: api.register(key, name) for key, name in {"wang": "王芳", "zhao": "赵磊", "chen": "陈静"}.items()}
    for person in people.values():
        api.befriend(lin, person)
    wang, zhao, chen = people["wang"], people["zhao"], people["chen"]
    api.befriend(wang, zhao)
    with_chen = api.direct(lin, chen)
    api.say(chen, with_chen, "湖边的照片你看到了吗？")
    api.say(lin, with_chen, "看到了！日落那张我设成壁纸了")
    api.call(lin, "PATCH", f"/conversations/{with_chen}/prefs", json={"pinned": True})
    hike = api.group(wang, "周末爬山", [lin, zhao])
    api.say(wang, hike, "周六谁去？天气预报说很好")
    plan = api.say(lin, hike, "走山脊环线怎么样？大约 12 公里，山顶风景很好")
    api.say(zhao, hike, "算我一个，我带零食")
    api.say(wang, hike, "好，八点半车站见？", reply_to=plan["seq"])
    with_zhao = api.direct(zhao, lin)
    api.say(zhao, with_zhao, "谢谢你推荐的书！")
    return lin


@pytest.mark.parametrize(
    ("size", "viewport", "scheme"),
    [("desktop", DESKTOP, "light"), ("phone", PHONE, "light"), ("desktop", DESKTOP, "dark"), ("phone", PHONE, "dark")],
)
def test_screenshots_in_chinese(
    new_app: Callable[..., App], api: Api, size: str, viewport: dict[str, int], scheme: str
) -> None:
    lin = _scene_zh(api)
    phone = size == "phone"
    app = new_app(
        f"lin-{size}", viewport=viewport, is_mobile=phone, has_touch=phone, color_scheme=scheme, locale="zh-CN"
    )
    app.signed_in_as(lin)
    page = app.page
    shot = f"zh-{size}" if scheme == "light" else f"zh-{size}-dark"
    # 王芳's chat too: becoming friends opened it, empty
    expect(page.locator("a.chat-item .chat-name")).to_have_text(["陈静", "赵磊", "周末爬山", "王芳"])
    expect(page.get_by_role("heading", name="聊天", exact=True)).to_be_visible()
    # a group's preview names its sender with Chinese punctuation
    expect(app.chat_item("周末爬山").locator(".chat-preview")).to_have_text("王芳：好，八点半车站见？")
    page.mouse.move(0, viewport["height"] - 1)
    assert app.untranslated() == []
    app.screenshot(f"{shot}-chat-list")

    app.open_chat("周末爬山")
    expect(app.message("好，八点半车站见？").locator(".quote")).to_contain_text("山脊环线")
    page.mouse.move(0, viewport["height"] - 1)
    assert app.untranslated() == []
    app.screenshot(f"{shot}-chat")

    page.goto(f"{app.base_url}/#/me/profile")
    expect(page.get_by_role("heading", name="个人资料")).to_be_visible()
    assert app.untranslated(r"lin\d+_\d+") == []
    app.screenshot(f"{shot}-me")


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_rail_the_list_and_the_connection_strip_in_chinese(
    new_app: Callable[..., App], api: Api, size: str, viewport: dict[str, int]
) -> None:
    me, wang, li = api.register("lin", "小林"), api.register("wang", "小王"), api.register("li", "小李")
    api.befriend(me, wang)
    api.befriend(me, li)
    with_wang = api.direct(me, wang)
    for text in ("在吗？", "周末去爬山吧"):
        api.say(wang, with_wang, text)
    api.call(me, "PATCH", f"/conversations/{with_wang}/prefs", json={"muted": True})
    api.say(li, api.direct(me, li), "好的")
    api.call(li, "POST", "/conversations/groups", json={"name": "家人", "user_ids": [me.id]})
    app = new_app(f"lin-{size}", viewport=viewport, locale="zh-CN").signed_in_as(me)
    page = app.page
    expect(app.chat_item("小王").locator(".dot")).to_have_attribute("aria-label", "2 条未读，已开启消息免打扰")
    expect(app.chat_item("小李").locator(".badge")).to_have_attribute("aria-label", "1 条未读")
    expect(page.locator(".rail-tab[data-tab=chats]")).to_have_attribute("aria-label", "聊天，1 条未读")
    assert page.locator(".rail-label").all_inner_texts() == ["聊天", "通讯录", "朋友圈", "我"]
    assert app.untranslated(within="nav.rail") == []
    assert app.untranslated(within="section.list-pane") == []
    app.screenshot(f"zh-{size}-badges")

    status = page.locator("#conn")
    with app.watch.expect_problems(r"/icon\.svg net::ERR_INTERNET_DISCONNECTED", r"Failed to load resource"):
        app.context.set_offline(True)
        expect(status).to_have_attribute("data-state", "offline")
        expect(status).to_have_text("你已离线。重新连接后会收到新消息。")
        assert app.untranslated(within="#conn") == []
        app.screenshot(f"zh-{size}-offline")
        app.context.set_offline(False)
    expect(status).to_have_attribute("data-state", "online")
    expect(status).to_have_text("已恢复连接")
