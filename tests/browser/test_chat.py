"""Two people meet in the browser: sign up, become friends, chat live, reply, recall, reload."""

from __future__ import annotations

import re
from collections.abc import Callable

from helpers import Server, kith_client
from kithweb import PHONE, Api, App, unique
from playwright.sync_api import expect
from test_official_accounts import TOKEN, Bot, bot  # noqa: F401 (bot: the publisher's webhook, a fixture)


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


# -- in Chinese --------------------------------------------------------------------------------


def test_a_direct_chat_in_chinese_from_the_header_to_the_menus_and_the_states_of_a_send(
    new_app: Callable[..., App], api: Api
) -> None:
    from test_media import picture

    lin, wang = api.register("lin", "小林"), api.register("wang", "小王")
    api.befriend(lin, wang)
    conversation = api.direct(lin, wang)
    api.say(lin, conversation, "周六去爬山吗？")
    api.say(wang, conversation, "好啊，几点？")
    api.say(wang, conversation, "我带水和面包")
    app = new_app("lin", locale="zh-CN").signed_in_as(lin, f"chats/{conversation}")
    page = app.page
    chat = "section.chat"
    handle = re.escape(wang.handle)

    # the header, the two unread messages under their divider, the composer
    expect(page.locator(".chat-title")).to_have_text("小王")
    expect(page.locator(".chat-subtitle")).to_have_text(f"@{wang.handle}")
    expect(page.locator(".unread-sep")).to_have_text("以下为新消息")
    expect(page.locator(".composer-input")).to_have_attribute("placeholder", "发消息")
    expect(page.get_by_role("button", name="聊天信息")).to_be_visible()
    assert app.untranslated(handle, within=chat) == []

    # pin and mute, from the header
    page.get_by_role("button", name="置顶").click()
    expect(page.locator(".chat-subtitle")).to_have_text(f"@{wang.handle} · 已置顶")
    page.get_by_role("button", name="消息免打扰").click()
    expect(page.locator(".chat-subtitle")).to_have_text(f"@{wang.handle} · 免打扰 · 已置顶")
    expect(page.get_by_role("button", name="消息免打扰")).to_have_attribute("title", "已开启消息免打扰：点按取消")
    assert app.untranslated(handle, within=chat) == []

    # a message's menu, and a reply from it
    theirs = page.locator(".msg", has=page.locator(".msg-text", has_text="我带水和面包"))
    theirs.hover()
    more = theirs.get_by_role("button", name="消息操作")
    expect(more).to_have_attribute("title", "回复、复制或删除")
    more.click()
    menu = page.get_by_role("menu", name="消息操作")
    expect(menu.get_by_role("menuitem")).to_have_text(["回复", "复制", "仅为我删除"])
    assert app.untranslated(within=".menu") == []
    menu.get_by_role("menuitem", name="回复").click()
    expect(page.locator(".reply-bar strong")).to_have_text("回复 小王")
    expect(page.get_by_role("button", name="取消回复")).to_be_visible()
    assert app.untranslated(handle, within=chat) == []
    page.locator(".composer-input").fill("七点，山脚见")
    page.locator(".composer-input").press("Enter")
    mine = page.locator(".msg.mine", has=page.locator(".msg-text", has_text="七点，山脚见"))
    expect(mine).to_have_attribute("data-state", "sent")
    expect(mine.locator(".quote")).to_have_attribute("aria-label", "回复 小王：我带水和面包")
    expect(mine.locator(".state-icon")).to_have_attribute("aria-label", "已发送")
    assert app.untranslated(handle, within=chat) == []

    # recalling asks first, in Chinese, and leaves a notice
    mine.locator(".bubble").click(button="right")
    expect(menu.get_by_role("menuitem")).to_have_text(["回复", "复制", "撤回", "仅为我删除"])
    menu.get_by_role("menuitem", name="撤回").click()
    confirm = page.get_by_role("dialog", name="撤回这条消息？")
    expect(confirm.locator(".muted")).to_have_text("聊天中的所有人都将看不到这条消息，并会看到你撤回了一条消息。")
    confirm.get_by_role("button", name="撤回").click()
    expect(page.locator(".notice", has_text="你撤回了一条消息")).to_be_visible()

    # the attach menu and the emoji picker
    page.get_by_role("button", name="附件").click()
    attach = page.get_by_role("menu", name="附件")
    expect(attach.get_by_role("menuitem")).to_have_text(["图片或视频", "文件", "位置"])
    assert app.untranslated(within=".menu") == []
    page.keyboard.press("Escape")
    page.get_by_role("button", name="表情").click()
    picker = page.get_by_role("dialog", name="表情")
    expect(picker.get_by_role("heading", name="笑脸")).to_be_visible()
    expect(picker.get_by_role("button", name="强", exact=True)).to_be_attached()
    assert app.untranslated(r"\bOK\b", within=".emoji-picker") == []  # 👌 is “OK” in Chinese too
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()

    def pick(files: list[dict[str, object]]) -> None:
        page.get_by_role("button", name="附件").click()
        with page.expect_file_chooser() as chooser:
            page.get_by_role("menuitem", name="图片或视频").click()
        chooser.value.set_files(files)

    # a picture offered before it goes; one the server refuses is explained, and can go as a file
    pick([{"name": "shan.jpg", "mimeType": "image/jpeg", "buffer": picture(900, 600)}])
    offer = page.get_by_role("dialog", name="发送图片")
    expect(offer.get_by_role("button", name="发送")).to_be_visible()
    assert app.untranslated(r"shan\.jpg", within="dialog.send-preview .dialog-body") == []
    offer.get_by_role("button", name="取消").click()
    whole = picture(900, 600)
    with app.watch.expect_problems(r"HTTP 4\d\d: POST .*/api/v1/media\?kind=image", r"status of 4\d\d"):
        pick([{"name": "cut.jpg", "mimeType": "image/jpeg", "buffer": whole[: len(whole) * 2 // 3]}])
        page.get_by_role("dialog", name="发送图片").get_by_role("button", name="发送").click()
        failed = page.locator(".msg.mine[data-state=failed]")
        expect(failed.get_by_role("alert")).to_contain_text("未发送。")
        expect(failed.get_by_role("button", name="以文件发送")).to_be_visible()
        expect(failed.locator(".state-icon")).to_have_attribute("aria-label", "未发送")
        assert app.untranslated(handle, within=chat) == []
        failed.get_by_role("button", name="删除").click()
        expect(failed).to_have_count(0)

    # offline, a message waits for the connection, and says so
    with app.watch.expect_problems(r"ERR_INTERNET_DISCONNECTED", r"Failed to load resource"):
        app.context.set_offline(True)
        expect(page.locator("#app.app")).to_have_attribute("data-connection", "offline")
        page.locator(".composer-input").fill("隧道里写的")
        page.locator(".composer-input").press("Enter")
        waiting = page.locator(".msg.mine", has=page.locator(".msg-text", has_text="隧道里写的"))
        expect(waiting).to_have_attribute("data-state", "queued")
        expect(waiting.locator(".msg-queued")).to_have_text("联网后自动发送")
        expect(waiting.locator(".state-icon")).to_have_attribute("aria-label", "等待连接")
        assert app.untranslated(handle, within=chat) == []
        app.context.set_offline(False)
        app.wait_online()
        expect(waiting).to_have_attribute("data-state", "sent")
    app.screenshot("zh-chat-direct-desktop")


def test_a_group_chat_in_chinese_on_a_phone_its_notices_mentions_and_a_voice_note_cancelled(
    new_app: Callable[..., App], api: Api
) -> None:
    lin, wang = api.register("lin", "小林"), api.register("wang", "小王")
    zhang, zhao = api.register("zhang", "小张"), api.register("zhao", "小赵")
    for friend in (wang, zhang, zhao):
        api.befriend(lin, friend)
    group = api.group(lin, "周末爬山", [wang, zhang, zhao])
    api.call(lin, "PATCH", f"/conversations/{group}", json={"name": "周日爬山"})
    api.call(lin, "DELETE", f"/conversations/{group}/members/{zhao.id}")
    api.call(zhang, "POST", f"/conversations/{group}/leave")
    api.say(lin, group, "大家早上好")
    app = new_app("wang", viewport=PHONE, locale="zh-CN").signed_in_as(wang, f"chats/{group}")
    page = app.page
    chat = "section.chat"

    # who did what, as whole Chinese sentences with the names in quotation marks
    expect(page.locator(".chat-title")).to_have_text("周日爬山")
    expect(page.locator(".chat-subtitle")).to_have_text("2 位成员")
    expect(page.locator(".notice-text")).to_have_text(
        [
            "“小林”创建了群聊“周末爬山”，并邀请你、“小张”和“小赵”加入",
            "“小林”将群名改为“周日爬山”",
            "“小林”将“小赵”移出了群聊",
            "“小张”退出了群聊",
        ]
    )
    expect(page.locator(".edge-text")).to_have_text("这是群聊的开始。")
    assert app.untranslated(within=chat) == []

    # @ offers the members
    page.locator(".composer-input").press_sequentially("@")
    members = page.get_by_role("listbox", name="选择要提到的成员")
    expect(members.get_by_role("option")).to_have_count(1)
    expect(members.locator(".mention-name")).to_have_text(["小林"])
    assert app.untranslated(re.escape(lin.handle), within=".mention-list") == []
    page.locator(".composer-input").press("Escape")
    page.locator(".composer-input").fill("")

    # hold to talk: the recording bar, then Escape cancels it
    mic = page.get_by_role("button", name="按住录制语音")
    expect(mic).to_have_attribute("title", "按住说话，松开发送")
    box = mic.bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    expect(page.locator(".record-bar")).to_be_visible()
    expect(page.locator(".record-hint.narrow-only")).to_have_text("滑开取消")
    assert app.untranslated(within=chat) == []
    app.screenshot("zh-chat-recording-phone")
    page.keyboard.press("Escape")
    page.mouse.up()
    expect(page.locator(".record-bar")).to_be_hidden()
    expect(page.locator(".toast")).to_contain_text("已取消发送语音。")
    app.screenshot("zh-chat-group-phone")

    # someone no longer in it is told so
    removed = new_app("zhao", viewport=PHONE, locale="zh-CN").signed_in_as(zhao, f"chats/{group}")
    expect(removed.page.locator(".main-empty h3")).to_have_text("无法查看此聊天")
    expect(removed.page.get_by_role("link", name="返回聊天列表").last).to_be_visible()
    assert removed.untranslated(within=".main-empty") == []


def test_pictures_voice_notes_videos_files_and_places_in_chinese(new_app: Callable[..., App], api: Api) -> None:
    import httpx
    import mediafiles

    lin, wang = api.register("lin", "小林"), api.register("wang", "小王")
    api.befriend(lin, wang)
    conversation = api.direct(lin, wang)

    def send(kind: str, name: str, mime: str, body: bytes) -> None:
        headers = {"Authorization": f"Bearer {wang.token}", "Content-Type": mime}
        params = {"kind": kind, "name": name}
        uploaded = httpx.post(f"{api.base}/api/v1/media", params=params, content=body, headers=headers, timeout=30)
        assert uploaded.status_code < 300, uploaded.text
        message = {"id": f"zh-{kind}-{conversation}", "media_id": uploaded.json()["id"]}
        api.call(wang, "POST", f"/conversations/{conversation}/messages", json=message)

    send("image", "山顶.jpg", "image/jpeg", mediafiles.jpeg(800, 600))
    send("voice", "语音.wav", "audio/wav", mediafiles.wav(1.5))
    send("file", "路线.pdf", "application/pdf", b"%PDF-1.4\n" + bytes(range(256)) + b"\n%%EOF\n")
    send("video", "山路.mp4", "video/mp4", mediafiles.video(1.0, size=(320, 240)))
    place = {"latitude": 39.9042, "longitude": 116.4074, "label": "", "scale": 16}
    where = {"id": f"zh-place-{conversation}", "location": place}
    api.call(wang, "POST", f"/conversations/{conversation}/messages", json=where)
    app = new_app("lin", locale="zh-CN").signed_in_as(lin, f"chats/{conversation}")
    page = app.page
    handle = re.escape(wang.handle)

    expect(page.get_by_role("button", name="图片，点按查看原图")).to_be_visible()
    expect(page.get_by_role("button", name="播放语音")).to_be_visible()
    expect(page.get_by_role("button", name="下载 路线.pdf")).to_be_visible()
    expect(page.get_by_role("button", name="播放视频")).to_be_visible()
    expect(page.locator(".location-label")).to_have_text("分享的位置")
    expect(page.locator(".msg-location")).to_have_attribute("title", "在地图上查看")
    assert app.untranslated(handle, r"PDF|\.pdf", within="section.chat") == []
    app.screenshot("zh-chat-media-desktop")

    # a reply to a picture quotes it as one
    picture = page.locator(".msg.theirs", has=page.locator(".msg-image"))
    picture.hover()
    picture.get_by_role("button", name="消息操作").click()
    page.get_by_role("menuitem", name="回复").click()
    expect(page.locator(".reply-bar")).to_contain_text("回复 小王[图片]")

    # the full picture, its bar in Chinese
    page.get_by_role("button", name="图片，点按查看原图").click()
    lightbox = page.locator("dialog.lightbox")
    expect(lightbox.get_by_role("button", name="下载")).to_be_visible()
    expect(lightbox.get_by_role("button", name="关闭")).to_have_attribute("title", "关闭（Esc）")
    assert app.untranslated(r"\bEsc\b|\.jpg", within="dialog.lightbox") == []
    page.keyboard.press("Escape")
    expect(lightbox).to_have_count(0)

    # two pictures chosen at once, offered together before they go
    page.get_by_role("button", name="取消回复").click()
    page.get_by_role("button", name="附件").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("menuitem", name="图片或视频").click()
    photos = [{"name": f"{n}.jpg", "mimeType": "image/jpeg", "buffer": mediafiles.jpeg(400, 300)} for n in (1, 2)]
    chooser.value.set_files(photos)
    offer = page.get_by_role("dialog", name="发送 2 张图片")
    expect(offer.get_by_role("button", name="发送")).to_be_visible()
    assert app.untranslated(r"\d\.jpg", within="dialog.send-preview .dialog-body") == []
    offer.get_by_role("button", name="取消").click()
    expect(offer).to_have_count(0)


def test_a_long_unread_chat_and_the_composer_s_notices_in_chinese(new_app: Callable[..., App], api: Api) -> None:
    lin, wang, zhang = api.register("lin", "小林"), api.register("wang", "小王"), api.register("zhang", "小张")
    api.befriend(lin, wang)
    api.befriend(lin, zhang)
    conversation = api.direct(lin, wang)
    other = api.direct(lin, zhang)
    api.say(lin, conversation, "在吗？")
    for n in range(1, 41):
        api.say(wang, conversation, f"第 {n} 条消息")
    app = new_app("lin", locale="zh-CN").signed_in_as(lin, f"chats/{conversation}")
    page = app.page
    handle = re.escape(wang.handle)

    # the way up to the first unread one, and down again to what comes new
    jump = page.locator(".unread-jump")
    expect(jump).to_have_text("40 条未读消息")
    assert app.untranslated(handle, within="section.chat") == []
    jump.click()
    expect(page.locator(".unread-sep")).to_be_in_viewport()
    api.say(wang, conversation, "看到请回复")
    pill = page.locator(".new-pill")
    expect(pill).to_have_text("新消息")
    assert app.untranslated(handle, within="section.chat") == []
    pill.click()
    expect(pill).to_be_hidden()

    # a person you blocked, and one who is no longer your friend
    api.call(lin, "POST", "/blocks", json={"handle": wang.handle})
    notice = page.locator(".composer-notice")
    expect(notice).to_contain_text("你已屏蔽“小王”。")
    expect(notice.get_by_role("button", name="取消屏蔽")).to_be_visible()
    assert app.untranslated(handle, within="section.chat") == []
    api.call(zhang, "DELETE", f"/friends/{lin.id}")
    page.goto(f"{app.base_url}/#/chats/{other}")
    expect(page.locator(".chat-title")).to_have_text("小张")
    expect(notice).to_contain_text("你们还不是朋友。添加“小张”为朋友后即可聊天。")
    expect(notice.get_by_role("button", name="添加朋友")).to_be_visible()
    assert app.untranslated(re.escape(zhang.handle), within="section.chat") == []


def test_an_official_account_s_chat_in_chinese_its_menu_options_and_unfollowing(
    new_app: Callable[..., App],
    api: Api,
    kith: Server,
    bot: Bot,  # noqa: F811 (the fixture)
) -> None:
    owner = api.register("owner", "港口")
    name = unique("港口新闻")
    created = api.call(owner, "POST", "/official-accounts", json={"name": name, "kind": "subscription"})
    account = created["account"]
    webhook = {"webhook_url": bot.url, "token": TOKEN}
    api.call(owner, "PUT", f"/official-accounts/{account['id']}/webhook", json=webhook)
    site = {"type": "view", "name": "网站", "url": "http://example.org/site"}
    menu = {"button": [{"type": "click", "name": "今日", "key": "TODAY"}, {"name": "更多", "sub_button": [site]}]}
    kith_client(kith.url, account["app_id"], created["app_secret"]).menu.create(menu)
    reader = api.register("reader", "读者")
    conversation = api.call(reader, "PUT", f"/official-accounts/{account['id']}/follow")["conversation_id"]
    app = new_app("reader", locale="zh-CN").signed_in_as(reader, f"chats/subscriptions/{conversation}")
    page = app.page
    chat = "section.chat"
    links = r"http://example\.org/\S*"  # an article's address, as its title

    expect(page.locator(".chat-title")).to_have_text(name)
    expect(page.locator(".chat-subtitle")).to_have_text("订阅号")
    expect(page.locator(".back")).to_have_attribute("aria-label", "返回订阅号")
    toolbar = page.get_by_role("toolbar", name="菜单")
    expect(toolbar.get_by_role("button", name="输入消息")).to_be_visible()
    assert app.untranslated(within=chat) == []
    toolbar.get_by_role("button", name="今日").click()
    expect(page.locator(".news-card.first .news-more")).to_have_text("阅读全文")
    assert app.untranslated(links, within=chat) == []

    # writing instead: an account takes no files
    toolbar.get_by_role("button", name="输入消息").click()
    expect(page.get_by_role("button", name="显示菜单")).to_be_visible()
    page.get_by_role("button", name="附件").click()
    expect(page.get_by_role("menu", name="附件").get_by_role("menuitem")).to_have_text(["图片或视频", "位置"])
    page.keyboard.press("Escape")
    assert app.untranslated(links, within=chat) == []

    # the header's options, and unfollowing after a confirmation
    page.get_by_role("button", name="公众号选项").click()
    options = page.get_by_role("menu", name=f"“{name}”的选项")
    expect(options.get_by_role("menuitem")).to_have_text(["查看公众号", "消息免打扰", "取消关注"])
    assert app.untranslated(within=".menu") == []
    options.get_by_role("menuitem", name="取消关注").click()
    confirm = page.get_by_role("dialog", name=f"取消关注 {name}？")
    expect(confirm.locator(".muted")).to_have_text("它将无法再给你发消息。已有的消息仍会保留在这里。")
    confirm.get_by_role("button", name="取消关注").click()
    notice = page.locator(".composer-notice")
    expect(notice).to_contain_text(f"你已取消关注 {name}。重新关注后才能给它发消息。")
    expect(notice.get_by_role("button", name="关注")).to_be_visible()
    expect(page.locator(".chat-subtitle")).to_have_text("订阅号 · 未关注")
    assert app.untranslated(links, within=chat) == []
    app.screenshot("zh-chat-official-desktop")
