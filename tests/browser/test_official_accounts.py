"""Official accounts in the browser: a reader finds, follows and talks to an account whose webhook is a
real werobot bot on 127.0.0.1; its owner sets it up in the console. The menu is made with wechatpy,
pointed at kith as docs/platform.md shows."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import mediafiles
import pytest
import werobot
from helpers import Server, free_port, kith_client, serve_wsgi
from kithweb import PHONE, Account, Api, App, unique
from playwright.sync_api import expect

TOKEN = "harbourtoken7"
TODAY = [
    "Boats in, boats out",
    "Today's harbour: <b>six</b> arrivals",
    "http://example.org/p.jpg",
    "http://example.org/today",
]


@dataclass
class Bot:
    url: str
    seen: list[str]


@pytest.fixture(scope="module")
def bot() -> Iterator[Bot]:
    """The publisher's server: greets on subscribe, answers the "TODAY" button with an article, echoes text."""
    robot = werobot.WeRoBot(token=TOKEN, SESSION_STORAGE=False)
    seen: list[str] = []

    @robot.subscribe
    def hello(message: Any) -> str:
        seen.append("subscribe")
        return "Welcome to the harbour news!"

    @robot.key_click("TODAY")
    def today(message: Any) -> list[list[str]]:
        seen.append("click")
        return [TODAY]

    @robot.view
    def viewed(message: Any) -> str:
        seen.append("view:" + message.key)
        return ""

    @robot.text
    def echo(message: Any) -> str:
        seen.append("text:" + message.content)
        return "You said: " + message.content

    port = free_port()
    httpd = serve_wsgi(robot.wsgi, port)
    yield Bot(f"http://127.0.0.1:{port}/wechat", seen)
    httpd.shutdown()
    httpd.server_close()


def harbour_news(api: Api, kith: Server, bot: Bot) -> tuple[Account, dict[str, Any]]:
    """An owner's account with the bot as its webhook and a menu: Today (a click), More → Site (a link)."""
    owner = api.register("owner", "Olive Owner")
    name = unique("Harbour News ")
    body = {"name": name, "kind": "subscription", "description": "Boats, tides and the ferry, daily."}
    created = api.call(owner, "POST", "/official-accounts", json=body)
    account = created["account"]
    api.call(owner, "PUT", f"/official-accounts/{account['id']}/webhook", json={"webhook_url": bot.url, "token": TOKEN})
    site = {"type": "view", "name": "Site", "url": "http://example.org/site"}
    menu = {"button": [{"type": "click", "name": "Today", "key": "TODAY"}, {"name": "More", "sub_button": [site]}]}
    kith_client(kith.url, account["app_id"], created["app_secret"]).menu.create(menu)
    return owner, account


def deliveries(api: Api, owner: Account, account_id: int) -> list[dict[str, Any]]:
    return api.call(owner, "GET", f"/official-accounts/{account_id}/deliveries")["deliveries"]


def access_token(kith: Server, app_id: str, secret: str) -> dict[str, Any]:
    query = {"grant_type": "client_credential", "appid": app_id, "secret": secret}
    return dict(httpx.get(f"{kith.url}/cgi-bin/token", params=query).json())


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value


def test_a_reader_finds_follows_and_talks_to_an_account(
    new_app: Callable[..., App], api: Api, kith: Server, bot: Bot
) -> None:
    owner, account = harbour_news(api, kith, bot)
    name = account["name"]
    reader = api.register("reader", "Rita Reader")
    friend = api.register("friend", "Fred Friend")
    api.befriend(reader, friend)
    api.say(friend, api.direct(friend, reader), "Are you coming to the harbour?")
    r = new_app("reader").signed_in_as(reader, "contacts")
    page = r.page

    # Contacts → Official accounts: search by name, open the account's page, follow it
    page.get_by_role("link", name=re.compile("^Official accounts")).click()
    page.get_by_role("searchbox", name="Search official accounts").fill(name.split()[-1])
    found = page.get_by_role("list", name="Accounts found")
    expect(found.get_by_role("link")).to_have_count(1)
    found.get_by_role("link", name=re.compile(re.escape(name))).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_text("Boats, tides and the ferry, daily.")).to_be_visible()
    expect(page.get_by_text("Subscription account")).to_be_visible()
    r.screenshot("official-account-page-desktop")
    page.get_by_role("button", name="Follow").click()

    # following opens its conversation, where the bot's greeting arrives, drawn as the account's
    expect(page.locator(".chat-title")).to_have_text(name)
    greeting = page.locator(".msg.from-account", has=page.locator(".msg-text", has_text="Welcome to the harbour news!"))
    expect(greeting).to_be_visible()
    expect(greeting.locator(".msg-avatar .avatar")).to_be_visible()
    expect(page.locator(".notice")).to_have_count(0)  # not a system notice

    # in Chats, accounts share one "Subscriptions" entry, which lists them
    r.tab("Chats")
    entry = page.locator("a.chat-item.subscriptions-item")
    expect(entry.locator(".chat-name")).to_have_text("Subscriptions")
    expect(entry.locator(".chat-preview")).to_have_text(f"{name}: Welcome to the harbour news!")
    expect(r.chat_item(name)).to_have_count(0)
    expect(r.chat_item("Fred Friend")).to_be_visible()
    entry.click()
    expect(page.get_by_role("heading", name="Subscriptions", level=1)).to_be_visible()
    subs = page.get_by_role("list", name="Subscriptions")
    subs.locator("a.chat-item").filter(has_text=name).click()
    expect(page.locator(".chat-title")).to_have_text(name)

    # the menu shows in place of the input; a tap on Today brings the bot's article
    menu = page.get_by_role("toolbar", name="Menu")
    expect(menu).to_be_visible()
    expect(r.composer).to_be_hidden()
    menu.get_by_role("button", name="Today").click()
    card = page.locator(".msg.from-account .news-card.first")
    expect(card.locator(".news-title")).to_have_text(TODAY[0])
    expect(card.locator(".news-description")).to_have_text(TODAY[1])  # as text: the <b> is shown, not obeyed
    expect(card).to_have_attribute("href", TODAY[3])
    expect(card).to_have_attribute("target", "_blank")
    expect(card).to_have_attribute("rel", "noopener noreferrer")
    expect(page.locator(".msg-news img")).to_have_count(0)  # the CSP allows no pictures from other sites
    r.screenshot("official-article-desktop")

    # More → Site: a link to another site, in a new tab; the account hears the VIEW
    page.context.route(
        "http://example.org/**", lambda route: route.fulfill(body="<p>Site</p>", content_type="text/html")
    )
    menu.get_by_role("button", name="More").click()
    site = page.get_by_role("menuitem", name="Site")
    expect(site).to_have_attribute("rel", "noopener noreferrer")
    with page.context.expect_page() as opened:
        site.click()
    expect(opened.value).to_have_url("http://example.org/site")
    opened.value.close()
    wait_for(lambda: "view:http://example.org/site" in bot.seen)

    # switch to the keyboard and write: the bot echoes
    page.get_by_role("button", name="Write a message").click()
    expect(menu).to_be_hidden()
    r.send("any boats today?")
    expect(page.locator(".msg.from-account .msg-text", has_text="You said: any boats today?")).to_be_visible()
    r.screenshot("official-writing-desktop")
    page.get_by_role("button", name="Attach").click()  # an account takes pictures and voice notes, not files
    expect(page.get_by_role("menuitem", name="Photo")).to_be_visible()
    expect(page.get_by_role("menuitem", name="File")).to_have_count(0)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Show the menu").click()
    expect(menu).to_be_visible()
    statuses = {d["event"]: d["status"] for d in deliveries(api, owner, account["id"])}
    assert statuses.get("subscribe") == statuses.get("CLICK") == statuses.get("text") == "delivered", statuses

    # the same reader on a phone, in dark mode: the subscriptions, then the chat
    p = new_app("reader-phone", PHONE, color_scheme="dark").signed_in_as(reader, "chats")
    preview = p.page.locator("a.chat-item.subscriptions-item .chat-preview")
    expect(preview).to_have_text(f"{name}: You said: any boats today?")
    p.screenshot("official-chats-phone-dark")
    p.page.locator("a.chat-item.subscriptions-item").click()
    p.page.get_by_role("list", name="Subscriptions").locator("a.chat-item").filter(has_text=name).click()
    expect(p.page.locator(".news-card.first .news-title")).to_have_text(TODAY[0])
    expect(p.page.get_by_role("toolbar", name="Menu")).to_be_visible()
    p.screenshot("official-chat-phone-dark")
    p.page.get_by_role("toolbar", name="Menu").get_by_role("button", name="More").click()
    expect(p.page.get_by_role("menuitem", name="Site")).to_be_visible()
    p.screenshot("official-submenu-phone-dark")
    p.page.keyboard.press("Escape")

    # unfollow from the chat's header, after a confirmation: the menu and the input give way to a notice
    page.get_by_role("button", name="Account options").click()
    page.get_by_role("menuitem", name="Unfollow").click()
    page.get_by_role("dialog", name=f"Unfollow {name}?").get_by_role("button", name="Unfollow").click()
    expect(page.locator(".composer-notice")).to_contain_text(f"You unfollowed {name}.")
    expect(menu).to_be_hidden()
    expect(r.composer).to_be_hidden()
    expect(p.page.locator(".composer-notice")).to_contain_text(f"You unfollowed {name}.")  # the other device too
    r.screenshot("official-unfollowed-desktop")
    wait_for(lambda: "unsubscribe" in [d["event"] for d in deliveries(api, owner, account["id"])])
    r.tab("Chats")
    expect(page.locator("a.chat-item.subscriptions-item")).to_have_count(0)


def test_an_owner_creates_an_account_and_points_it_at_a_webhook(
    new_app: Callable[..., App], api: Api, kith: Server, bot: Bot
) -> None:
    owner = api.register("owner", "Oscar Owner")
    o = new_app("owner").signed_in_as(owner, "me")
    page = o.page
    page.get_by_role("link", name="Official accounts").click()
    name = unique("Tide Tables ")
    form = page.get_by_role("form", name="Create an official account")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Kind").select_option("service")
    form.get_by_label("Description").fill("High and low water, every day.")
    form.get_by_role("button", name="Create account").click()

    # the AppSecret, once, with a copy button and a clear note
    shown = page.get_by_role("dialog", name="Your new account")
    expect(shown.get_by_text("Shown only once.")).to_be_visible()
    secret = shown.locator(".copy-field.secret .copy-value").inner_text()
    app_id = shown.locator(".copy-field", has_text="AppID").locator(".copy-value").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", secret) and re.fullmatch(r"wx[0-9a-f]{16}", app_id)
    expect(shown.get_by_role("button", name="Copy AppSecret")).to_be_visible()
    o.screenshot("official-console-secret-desktop")
    shown.get_by_role("button", name="I have copied it").click()

    # its console: the AppID and gh id, never the AppSecret again
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator(".copy-field", has_text="AppID")).to_contain_text(app_id)
    expect(page.locator(".copy-field", has_text="Account id (gh)")).to_contain_text(re.compile(r"gh_[0-9a-f]{12}"))
    assert secret not in page.content()
    assert "access_token" in access_token(kith, app_id, secret)

    # a wrong Token fails the handshake, in the server's words; the right one is saved
    hook = page.get_by_role("form", name="Webhook")
    hook.get_by_label("Webhook URL").fill(bot.url)
    hook.get_by_label("Token").fill("wrongtoken1")
    with o.watch.expect_problems(r"HTTP 400: PUT .*/webhook", r"status of 400"):
        hook.get_by_role("button", name="Save webhook").click()
        expect(hook.get_by_role("alert")).to_contain_text("did not pass the check: it answered")
    expect(hook.get_by_role("alert")).to_contain_text("check its Token")
    hook.get_by_label("Token").fill(TOKEN)
    hook.get_by_role("button", name="Save webhook").click()
    expect(page.get_by_text("Webhook saved. Your server answered the check.")).to_be_visible()
    expect(page.get_by_text("Nothing delivered yet.", exact=False)).to_be_visible()

    # someone follows: the delivery is listed
    account_id = int(re.search(r"accounts/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    reader = api.register("reader", "Rosa Reader")
    api.call(reader, "PUT", f"/official-accounts/{account_id}/follow")
    wait_for(lambda: deliveries(api, owner, account_id))
    page.get_by_role("button", name="Refresh").click()
    row = page.locator(".delivery-table tbody tr").first
    expect(row).to_contain_text("subscribe")
    expect(row.locator(".status")).to_have_text("Delivered")
    expect(row.locator("td.num")).to_have_text(re.compile(r"^\d+ ms$"))
    o.screenshot("official-console-desktop")

    # a new AppSecret, after a confirmation: the old one stops working
    page.get_by_role("button", name="Reset AppSecret").click()
    page.get_by_role("dialog", name="Reset the AppSecret?").get_by_role("button", name="Reset").click()
    fresh = page.get_by_role("dialog", name="New AppSecret")
    new_secret = fresh.locator(".copy-field.secret .copy-value").inner_text()
    assert new_secret != secret
    fresh.get_by_role("button", name="I have copied it").click()
    assert access_token(kith, app_id, secret).get("errcode") == 40125  # the old one
    assert "access_token" in access_token(kith, app_id, new_secret)

    # the list of your accounts, and the console on a phone
    phone = new_app("owner-phone", PHONE).signed_in_as(owner, "me/accounts")
    expect(phone.page.get_by_role("list", name="Your official accounts")).to_contain_text(name)
    phone.screenshot("official-console-list-phone")
    phone.page.get_by_role("list", name="Your official accounts").get_by_role("link").first.click()
    expect(phone.page.locator(".delivery-table")).to_be_visible()
    phone.screenshot("official-console-phone")


def test_a_qr_code_link_follows_the_account(new_app: Callable[..., App], api: Api, kith: Server, bot: Bot) -> None:
    owner, account = harbour_news(api, kith, bot)
    console = api.call(owner, "POST", f"/official-accounts/{account['id']}/secret")  # a secret to fetch a token with
    token = access_token(kith, account["app_id"], console["app_secret"])["access_token"]
    poster = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "harbour-poster"}}}
    qr = httpx.post(f"{kith.url}/cgi-bin/qrcode/create", params={"access_token": token}, json=poster).json()
    assert qr["url"] == f"{kith.url}/#/contacts/scan/{qr['ticket']}"
    reader = api.register("scanner", "Sam Scanner")
    r = new_app("scanner").signed_in_as(reader, "contacts")
    r.page.goto(qr["url"])
    expect(r.page.locator(".chat-title")).to_have_text(account["name"])
    expect(r.page.locator(".msg.from-account .msg-text", has_text="Welcome to the harbour news!")).to_be_visible()
    assert "subscribe" in bot.seen
    with r.watch.expect_problems("404"):
        r.page.goto(f"{kith.url}/#/contacts/scan/not-a-ticket")
        expect(r.page.get_by_text("This QR code does not work")).to_be_visible()
    expect(r.page.get_by_text("This QR code is not valid any more")).to_be_visible()


def test_articles_arrive_as_cards_with_kiths_pictures_and_open_inside_kith(
    new_app: Callable[..., App], api: Api, kith: Server, bot: Bot
) -> None:
    owner, account = harbour_news(api, kith, bot)
    secret = api.call(owner, "POST", f"/official-accounts/{account['id']}/secret")["app_secret"]
    client = kith_client(kith.url, account["app_id"], secret)
    reader = api.register("articles", "Ada Articles")
    api.call(reader, "PUT", f"/official-accounts/{account['id']}/follow")
    thumb = client.media.upload("image", ("cover.png", mediafiles.png(480, 200)))["media_id"]
    inline = client.media.upload_image(("map.png", mediafiles.png(320, 160)))
    content = (
        f'<h2>Ferry times</h2><p onclick="window.hacked=1">The <b>morning</b> ferry leaves at 7.</p>'
        f'<img src="{inline}"><img src="https://tracker.example/pixel.gif"><script>window.hacked=1</script>'
        f'<p><a href="https://harbour.example/ferry">Full timetable</a></p>'
    )
    made = client.media.upload_articles([
        {"thumb_media_id": thumb, "title": "The ferry's new timetable", "content": content, "author": "Harbour desk",
         "digest": "Earlier on weekdays, later on Sundays.", "show_cover_pic": 1},
        {"thumb_media_id": thumb, "title": "Tides this week", "content": "<p>High water at noon.</p>"},
    ])  # fmt: skip
    msg_id = client.message.send_mass_article(None, made["media_id"], is_to_all=True)["msg_id"]

    r = new_app("articles").signed_in_as(reader, "chats")
    page = r.page
    page.locator("a.chat-item.subscriptions-item").click()
    page.get_by_role("list", name="Subscriptions").locator("a.chat-item").filter(has_text=account["name"]).click()
    card = page.locator(".msg.from-account .news-card.first")
    expect(card.locator(".news-title")).to_have_text("The ferry's new timetable")
    expect(card.locator(".news-description")).to_have_text("Earlier on weekdays, later on Sundays.")
    cover = card.locator(".news-cover img")
    expect(cover).to_have_attribute("src", re.compile("^blob:"))  # kith's own picture, fetched with the session
    assert cover.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    second = page.locator(".msg.from-account .news-card:not(.first)")
    expect(second.locator(".news-title")).to_have_text("Tides this week")
    r.screenshot("official-articles-desktop")

    card.click()
    expect(page.get_by_role("heading", name="The ferry's new timetable", level=1)).to_be_visible()
    body = page.locator(".article-content")
    expect(body.get_by_role("heading", name="Ferry times")).to_be_visible()
    expect(page.locator(".article-byline")).to_contain_text("Harbour desk")
    pictures = body.locator("img")
    expect(pictures).to_have_count(1)  # the tracker's is gone; kith's is there
    expect(pictures).to_have_attribute("src", re.compile("^blob:"))
    assert pictures.evaluate("img => img.decode().then(() => img.naturalWidth)") == 320
    link = body.get_by_role("link", name="Full timetable")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    body.get_by_text("The morning ferry leaves at 7.").click()
    assert page.evaluate("window.hacked") is None, "no script of the publisher's runs"
    r.screenshot("official-article-page-desktop")
    page.get_by_role("navigation", name="More from this set").get_by_role("link", name="Tides this week").click()
    expect(page.get_by_role("heading", name="Tides this week", level=1)).to_be_visible()

    # withdrawn by its publisher: the card stays, the article says so
    client.message.delete_mass(msg_id)
    with r.watch.expect_problems("404"):
        page.reload()
        expect(page.get_by_text("Its publisher deleted this article.")).to_be_visible()


def test_an_accounts_video_arrives_with_its_title_and_plays(
    new_app: Callable[..., App], api: Api, kith: Server, bot: Bot
) -> None:
    owner, account = harbour_news(api, kith, bot)
    secret = api.call(owner, "POST", f"/official-accounts/{account['id']}/secret")["app_secret"]
    client = kith_client(kith.url, account["app_id"], secret)
    reader = api.register("films", "Fay Films")
    api.call(reader, "PUT", f"/official-accounts/{account['id']}/follow")
    tour = client.media.upload("video", ("tour.mp4", mediafiles.video(2.0, size=(320, 240))))["media_id"]
    words = ("The harbour at dawn", "Boats going out, filmed from the pier.")
    made = client.media.upload_video(tour, *words)
    client.message.send_mass_video(None, made["media_id"], is_to_all=True)

    r = new_app("films").signed_in_as(reader, "chats")
    page = r.page
    page.locator("a.chat-item.subscriptions-item").click()
    page.get_by_role("list", name="Subscriptions").locator("a.chat-item").filter(has_text=account["name"]).click()
    message = page.locator(".msg.from-account", has=page.locator(".msg-video"))
    expect(message.locator(".video-caption")).to_have_text("\n".join(words))
    expect(message.locator(".msg-video")).to_have_class(re.compile(r"\bloaded\b"))
    message.get_by_role("button", name="Play video").click()
    player = message.locator("video.video-player")
    page.wait_for_function("v => v.readyState > 0 && v.duration > 1.5", arg=player.element_handle())
    r.screenshot("official-video-desktop")


# -- in Chinese ------------------------------------------------------------------------------------

# what the console shows in Latin letters on purpose: the platform's words, the account's ids and
# addresses, the bot libraries by name, and the event names the webhook gets
CONSOLE_LATIN = (
    r"\bwebhook\b",
    r"\bechostr\b",
    r"\b(wechatpy|werobot)\b",
    r"\bgh\b",
    r"\bgh_[0-9a-f]{12}\b",
    r"\bwx[0-9a-f]{16}\b",
    r"\b[0-9a-f]{32}\b",
    r"https?://[^\s]+",
    r"\b(subscribe|unsubscribe)\b",
)


def test_the_console_in_chinese(new_app: Callable[..., App], api: Api, kith: Server, bot: Bot) -> None:
    owner = api.register("zhou", "老周")
    o = new_app("zhou", locale="zh-CN").signed_in_as(owner, "me/accounts")
    page = o.page
    main = ".main-pane"

    # the list (none yet) and the form
    expect(page.get_by_role("list", name="你的公众号")).to_contain_text("暂无。")
    assert o.untranslated(*CONSOLE_LATIN, within=main) == []
    form = page.get_by_role("form", name="创建公众号")
    name = unique("潮汐表")
    form.get_by_label("名称").fill(name)
    form.get_by_label("类型").select_option("service")
    form.get_by_label("简介").fill("每天的高潮和低潮。")
    form.get_by_role("button", name="注册").click()

    # the AppSecret, once
    shown = page.get_by_role("dialog", name="你的新公众号")
    expect(shown.get_by_text("仅显示这一次。")).to_be_visible()
    assert o.untranslated(*CONSOLE_LATIN, within="dialog.secret-dialog .dialog-body") == []
    o.screenshot("official-zh-secret-desktop")
    shown.get_by_role("button", name="我已复制").click()

    # its console: credentials, the webhook form, no deliveries yet
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator(".profile-hero .muted")).to_have_text("服务号 · 0 位关注者")
    expect(page.get_by_text("还没有推送记录", exact=False)).to_be_visible()
    hook = page.get_by_role("form", name="服务器配置（webhook）")
    expect(hook.get_by_label("消息加解密方式")).to_have_value("plain")
    assert o.untranslated(*CONSOLE_LATIN, within=main) == []
    o.screenshot("official-zh-console-desktop")
    hook.get_by_label("服务器地址（URL）").fill(bot.url)
    hook.get_by_label("令牌（Token）").fill(TOKEN)
    hook.get_by_role("button", name="保存 webhook").click()
    expect(page.get_by_text("webhook 已保存，你的服务器通过了校验。")).to_be_visible()

    # a follower: the delivery, in the table
    account_id = int(re.search(r"accounts/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    reader = api.register("du", "小杜")
    api.call(reader, "PUT", f"/official-accounts/{account_id}/follow")
    wait_for(lambda: deliveries(api, owner, account_id))
    page.get_by_role("button", name="刷新").click()
    row = page.locator(".delivery-table tbody tr").first
    expect(row.locator(".status")).to_have_text("已送达")
    expect(row.locator("td.num")).to_have_text(re.compile(r"^\d+ 毫秒$"))
    expect(page.locator(".delivery-table thead")).to_have_text("时间事件状态耗时错误")
    assert o.untranslated(*CONSOLE_LATIN, within=main) == []

    # a new AppSecret, after a question
    page.get_by_role("button", name="重置 AppSecret").click()
    confirm = page.get_by_role("dialog", name="重置 AppSecret？")
    assert o.untranslated(*CONSOLE_LATIN, within="dialog.confirm .dialog-body p") == []
    confirm.get_by_role("button", name="重置", exact=True).click()
    fresh = page.get_by_role("dialog", name="新的 AppSecret")
    fresh.get_by_role("button", name="我已复制").click()

    # the list with the account, on a phone; someone else's console
    phone = new_app("zhou-phone", PHONE, locale="zh-CN").signed_in_as(owner, "me/accounts")
    expect(phone.page.get_by_role("list", name="你的公众号")).to_contain_text("服务号 · 1 位关注者")
    assert phone.untranslated(*CONSOLE_LATIN, within=main) == []
    phone.page.get_by_role("list", name="你的公众号").get_by_role("link").first.click()
    expect(phone.page.locator(".delivery-table")).to_be_visible()
    phone.screenshot("official-zh-console-phone")
    with o.watch.expect_problems(r"40[34]"):
        page.goto(f"{o.base_url}/#/me/accounts/999999999")
        expect(page.get_by_role("heading", name="不是你的公众号")).to_be_visible()
    assert o.untranslated(*CONSOLE_LATIN, within=main) == []


def test_an_account_and_its_articles_in_chinese(new_app: Callable[..., App], api: Api, kith: Server) -> None:
    owner = api.register("gang", "港口")
    name = unique("港口新闻")
    body = {"name": name, "kind": "subscription", "description": "船、潮汐和渡轮，每天更新。"}
    created = api.call(owner, "POST", "/official-accounts", json=body)
    account = created["account"]
    reader = api.register("du", "小杜")
    r = new_app("du", locale="zh-CN").signed_in_as(reader, "contacts/accounts")
    page = r.page
    main = ".main-pane"

    # search: nothing, then the account
    search = page.get_by_role("searchbox", name="搜索公众号")
    expect(search).to_have_attribute("placeholder", "搜索公众号")
    assert r.untranslated(within=main) == []
    search.fill("没有这个号")
    expect(page.get_by_text("没有名为“没有这个号”的公众号。")).to_be_visible()
    assert r.untranslated(within=main) == []
    search.fill(name)
    found = page.get_by_role("list", name="搜索到的公众号")
    expect(found.get_by_role("link")).to_have_count(1)
    assert r.untranslated(within=main) == []
    found.get_by_role("link").click()

    # its page: follow, then unfollow after a question
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_text("订阅号", exact=True)).to_be_visible()
    assert r.untranslated(within=main) == []
    r.screenshot("official-zh-account-desktop")
    page.get_by_role("button", name="关注", exact=True).click()
    expect(page.locator(".chat-title")).to_have_text(name)
    page.goto(f"{r.base_url}/#/contacts/account/{account['id']}")
    expect(page.get_by_role("link", name="消息")).to_be_visible()
    expect(page.locator(".profile-hero .tag")).to_have_text("已关注")
    assert r.untranslated(within=main) == []
    page.get_by_role("button", name="取消关注").click()
    confirm = page.get_by_role("dialog", name=f"取消关注 {name}？")
    assert r.untranslated(within="dialog.confirm .dialog-body p") == []
    confirm.get_by_role("button", name="取消关注").click()
    expect(page.get_by_text(f"已取消关注 {name}。")).to_be_visible()
    expect(page.get_by_role("button", name="关注", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="以前的消息")).to_be_visible()
    assert r.untranslated(within=main) == []

    # following again, from the search page's list
    page.get_by_role("button", name="关注", exact=True).click()
    expect(page.locator(".chat-title")).to_have_text(name)
    page.goto(f"{r.base_url}/#/contacts/accounts")
    expect(page.get_by_role("heading", name="已关注 · 1")).to_be_visible()
    assert r.untranslated(within=main) == []

    # an article, and the same article withdrawn
    client = kith_client(kith.url, account["app_id"], created["app_secret"])
    thumb = client.media.upload("image", ("cover.png", mediafiles.png(480, 200)))["media_id"]
    made = client.media.upload_articles([
        {"thumb_media_id": thumb, "title": "渡轮新时刻表", "content": "<p>早班渡轮七点出发。</p>",
         "author": "港口编辑部", "content_source_url": "https://harbour.example/ferry"},
        {"thumb_media_id": thumb, "title": "本周潮汐", "content": "<p>中午高潮。</p>"},
    ])  # fmt: skip
    msg_id = client.message.send_mass_article(None, made["media_id"], is_to_all=True)["msg_id"]
    page.goto(f"{r.base_url}/#/chats/subscriptions")
    page.locator("a.chat-item").filter(has_text=name).click()
    page.locator(".msg.from-account .news-card.first").click()
    expect(page.get_by_role("heading", name="渡轮新时刻表", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="阅读原文")).to_be_visible()
    expect(page.get_by_role("navigation", name="本组其他文章")).to_contain_text("本周潮汐")
    assert r.untranslated(within=main) == []
    r.screenshot("official-zh-article-desktop")
    client.message.delete_mass(msg_id)
    with r.watch.expect_problems("404"):
        page.reload()
        expect(page.get_by_text("发布者已删除这篇文章。")).to_be_visible()
    assert r.untranslated(within=main) == []

    # a QR code that leads nowhere
    with r.watch.expect_problems("404"):
        page.goto(f"{r.base_url}/#/contacts/scan/not-a-ticket")
        expect(page.get_by_role("heading", name="此二维码无效")).to_be_visible()
    assert r.untranslated(within=main) == []
