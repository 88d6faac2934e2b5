"""Articles (mpnews) end to end, with the real wechatpy and werobot: uploaded, cleaned, previewed by
the owner, mass-sent, read inside kith with kith's own pictures, reported (MASSSENDJOBFINISH) and
withdrawn."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import mediafiles
import pytest
import wechatpy
import werobot
from helpers import User, account_messages, add_articles, free_port, kith_client, register, serve_wsgi, wait_for
from wechatpy.exceptions import WeChatClientException

pytestmark = pytest.mark.asyncio(loop_scope="module")

ALLOW_LOCAL = {"KITH_PLATFORM_ALLOW_PRIVATE_WEBHOOKS": "true"}
HOSTILE = (
    '<p style="color:red" onclick="steal()">Boats <b>in</b>, boats out.</p><script>steal()</script>'
    '<img src="https://tracker.example/pixel.gif"><img src="{inline}" onerror="steal()">'
    '<a href="javascript:steal()">bad link</a> <a href="https://harbour.example/more">good link</a>'
    '<iframe src="https://evil.example"></iframe><style>body{{display:none}}</style>'
)


def mass_article(client: Any, audience: Any, media_id: str, *, preview: bool = False) -> Any:
    """``send_mass_article`` in the words of the installed wechatpy (1.x: audience first; 2.x: media id)."""
    everyone = audience is None and not preview
    if wechatpy.__version__.startswith("1."):
        return client.message.send_mass_article(audience, media_id, is_to_all=everyone, preview=preview)
    return client.message.send_mass_article(media_id, audience, is_to_all=everyone, preview=preview)


class KithRobot(werobot.client.Client):  # type: ignore[misc]
    """werobot's API client pointed at a kith server: its one ``request()`` override."""

    def __init__(self, config: dict[str, Any], url: str) -> None:
        super().__init__(config)
        self.kith = url

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        return super().request(method, url.replace("https://api.weixin.qq.com", self.kith), **kwargs)


@dataclass
class Bot:
    url: str
    seen: list[Any] = field(default_factory=list)


@pytest.fixture
def bot() -> Iterator[Bot]:
    robot = werobot.WeRoBot(token="kithtoken1", SESSION_STORAGE=False)
    hook = Bot("")

    @robot.handler
    def everything(message: Any) -> str | None:
        hook.seen.append(message)
        if message.type == "masssendjobfinish_event":
            return "a reply to a report must reach nobody"
        return None

    port = free_port()
    httpd = serve_wsgi(robot.wsgi, port)
    hook.url = f"http://127.0.0.1:{port}/wechat"
    yield hook
    httpd.shutdown()
    httpd.server_close()


async def publisher(server: Any, bot: Bot | None, kind: str = "subscription") -> tuple[User, dict[str, Any], Any]:
    owner = await register(server)
    created = await owner.ok("POST", "/official-accounts", json={"name": f"Harbour {owner.id}", "kind": kind})
    account = created["account"]
    if bot is not None:
        await owner.ok("PUT", f"/official-accounts/{account['id']}/webhook",
                       json={"webhook_url": bot.url, "token": "kithtoken1"})  # fmt: skip
    return owner, account, kith_client(server.url, account["app_id"], created["app_secret"])


async def follow(user: User, account: dict[str, Any]) -> int:
    return int((await user.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"])


async def openid_of(bot: Bot, user: User, account: dict[str, Any], chat: int) -> str:
    """The user's openid at the account, as its webhook sees them (they write, the bot hears)."""
    before = len(bot.seen)
    await user.ok("POST", f"/conversations/{chat}/messages", json={"id": f"hi{user.id}", "text": "hi"})

    async def heard() -> Any:
        return next((m.source for m in bot.seen[before:] if getattr(m, "content", None) == "hi"), None)

    return str(await wait_for(heard))


def upload_set(client: Any, server_url: str, n: int = 2) -> tuple[str, str, str]:
    """A thumb, an inline picture and a set of ``n`` articles through wechatpy: (set, thumb, picture)."""
    thumb = client.media.upload("image", ("cover.png", mediafiles.png(120, 60)))["media_id"]
    inline = client.media.upload_image(("inline.png", mediafiles.png(30, 30)))
    assert inline.startswith(server_url + "/api/v1/media/")
    picture = inline.rsplit("/", 1)[1]
    articles = [
        {"thumb_media_id": thumb, "title": f"Harbour day {i}", "content": HOSTILE.format(inline=inline),
         "author": "The harbour master", "content_source_url": "https://harbour.example/source", "digest": "",
         "show_cover_pic": 1}
        for i in range(n)
    ]  # fmt: skip
    return client.media.upload_articles(articles)["media_id"], thumb, picture


async def test_articles_go_out_as_cards_and_are_read_inside_kith(make_server: Any, bot: Bot) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, account, client = await publisher(server, bot)
    reader, stranger = await register(server), await register(server)
    owner_chat, reader_chat = await follow(owner, account), await follow(reader, account)
    owner_openid = await openid_of(bot, owner, account, owner_chat)
    reader_openid = await openid_of(bot, reader, account, reader_chat)
    news_id, thumb, picture = upload_set(client, server.url)

    # a preview goes to the owner, and to no one else: it is outside the quotas
    preview = mass_article(client, owner_openid, news_id, preview=True)
    assert preview["errcode"] == 0 and preview["errmsg"] == "preview success"
    with pytest.raises(WeChatClientException) as refused:
        mass_article(client, reader_openid, news_id, preview=True)
    assert refused.value.errcode == 40003
    shown = await account_messages(owner, owner_chat)
    assert shown[-1]["kind"] == "news" and shown[-1]["articles"][0]["page"] == f"{news_id}/0"
    assert [m["kind"] for m in await account_messages(reader, reader_chat)] == []

    # the mass send: cards that open the articles in kith, with kith's picture, none from elsewhere
    sent = mass_article(client, None, news_id)
    msg_id = sent["msg_id"]

    async def arrived() -> Any:
        return await account_messages(reader, reader_chat)

    (message,) = await wait_for(arrived)
    cards = message["articles"]
    assert [(c["title"], c["page"], c["picture"], c["picurl"], c["url"]) for c in cards] == [
        ("Harbour day 0", f"{news_id}/0", thumb, "", ""),
        ("Harbour day 1", f"{news_id}/1", thumb, "", ""),
    ]
    assert cards[0]["description"] == "Boats in, boats out. bad link good link"  # the digest, from the text

    page = await reader.ok("GET", f"/articles/{news_id}")
    first = page["articles"][0]
    assert page["account"]["id"] == account["id"] and page["account"]["following"] is True
    assert first["title"] == "Harbour day 0" and first["author"] == "The harbour master"
    assert first["picture"] == thumb and first["source_url"] == "https://harbour.example/source"
    html = first["content"]
    for gone in ("script", "steal", "style", "onclick", "onerror", "iframe", "tracker.example", "javascript:"):
        assert gone not in html, gone
    assert f'<img src="/api/v1/media/{picture}">' in html
    assert '<a href="https://harbour.example/more" target="_blank" rel="noopener noreferrer nofollow">' in html
    for media_id in (thumb, picture):  # kith serves the pictures to readers
        assert (await reader.call("GET", f"/media/{media_id}")).status_code == 200
    assert (await reader.call("GET", f"/media/{thumb}/thumbnail")).status_code == 200
    # the link is the key, as in WeChat: someone it was passed to reads it too, and learns nothing more
    assert (await stranger.ok("GET", f"/articles/{news_id}"))["account"]["following"] is False
    assert (await stranger.call("GET", "/articles/" + "A" * 22)).json()["error"]["code"] == "no_such_article"

    # the webhook hears the report; the bot's reply to it reaches no one
    async def reported() -> Any:
        return next((m for m in bot.seen if getattr(m, "type", "") == "masssendjobfinish_event"), None)

    report = await wait_for(reported)
    assert int(report.MsgID) == msg_id and report.Status == "send success" and report.source == owner_openid
    assert (int(report.TotalCount), int(report.FilterCount), int(report.SentCount), int(report.ErrorCount)) == (
        2, 2, 2, 0)  # fmt: skip
    assert client.message.get_mass(msg_id)["msg_status"] == "SEND_SUCCESS"
    await asyncio.sleep(0.3)
    assert all(m["kind"] == "news" for m in await account_messages(owner, owner_chat)), "no reply to a report"

    # the second mass send of the day is refused, articles or not
    with pytest.raises(WeChatClientException) as quota:
        mass_article(client, None, news_id)
    assert quota.value.errcode == 45028

    # withdrawn: the cards stay, the articles open as deleted, the pictures go with them
    client.message.delete_mass(msg_id)
    gone = await reader.call("GET", f"/articles/{news_id}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "article_deleted"
    assert client.message.get_mass(msg_id)["msg_status"] == "DELETE"
    assert len(await account_messages(reader, reader_chat)) == 1
    with pytest.raises(WeChatClientException) as again:
        client.message.send_articles(reader_openid, news_id)
    assert again.value.errcode == 40007


async def test_one_article_of_a_set_is_withdrawn(make_server: Any) -> None:
    server = make_server(ALLOW_LOCAL)
    _, account, client = await publisher(server, None, kind="service")
    reader = await register(server)
    chat = await follow(reader, account)
    news_id, _, _ = upload_set(client, server.url, n=3)
    msg_id = mass_article(client, None, news_id)["msg_id"]
    await wait_for(lambda: account_messages(reader, chat))
    client.post("message/mass/delete", data={"msg_id": msg_id, "article_idx": 2})
    page = await reader.ok("GET", f"/articles/{news_id}")
    assert [(a["title"], a["deleted"], bool(a["content"])) for a in page["articles"]] == [
        ("Harbour day 0", False, True), ("Harbour day 1", True, False), ("Harbour day 2", False, True)]  # fmt: skip
    assert client.message.get_mass(msg_id)["msg_status"] == "SEND_SUCCESS"  # the send stands
    # sent again, the set shows the articles that are left, each still opening its own page
    later = mass_article(client, None, news_id)["msg_id"]
    assert later != msg_id

    async def second() -> Any:
        shown = await account_messages(reader, chat)
        return shown[1:] or None

    (again,) = await wait_for(second)
    assert [c["page"] for c in again["articles"]] == [f"{news_id}/0", f"{news_id}/2"]
    for bad in (
        {"msg_id": msg_id, "article_idx": 9},
        {"msg_id": 10**9},
        {"msg_id": "x"},
        {"msg_id": msg_id, "article_idx": "1"},
    ):
        with pytest.raises(WeChatClientException) as refused:
            client.post("message/mass/delete", data=bad)
        assert refused.value.errcode == 40035, bad


async def test_customer_service_articles_with_werobot_and_permanent_sets(make_server: Any, bot: Bot) -> None:
    server = make_server(ALLOW_LOCAL)
    _, account, client = await publisher(server, bot)
    reader = await register(server)
    chat = await follow(reader, account)
    openid = await openid_of(bot, reader, account, chat)
    thumb = client.media.upload("image", ("cover.png", mediafiles.png(120, 60)))["media_id"]
    robot = KithRobot({"APP_ID": account["app_id"], "APP_SECRET": client.secret}, server.url)
    made = robot.upload_news([{"thumb_media_id": thumb, "title": "Tide tables", "content": "<p>High at noon</p>"}])
    robot.send_news_message(openid, made["media_id"])
    kept = add_articles(client, [{"thumb_media_id": thumb, "title": "Kept", "content": "<h2>Always</h2>"}])
    client.message.send_articles(openid, kept["media_id"])  # inside the window: 2 of its 5
    draft = client.post("draft/add", data={"articles": [{"thumb_media_id": thumb, "title": "Draft",
                                                          "content": "<p>d</p>"}]})  # fmt: skip

    async def both() -> Any:
        shown = await account_messages(reader, chat)
        return shown if len(shown) == 2 else None

    tides, always = await wait_for(both)
    assert tides["articles"][0]["title"] == "Tide tables" and always["articles"][0]["title"] == "Kept"
    assert (await reader.ok("GET", f"/articles/{kept['media_id']}"))["articles"][0]["content"] == "<h2>Always</h2>"
    assert (await reader.ok("GET", f"/articles/{draft['media_id']}"))["articles"][0]["picture"] is None  # no cover


async def test_bad_articles_are_refused_with_their_errcode_and_change_nothing(make_server: Any) -> None:
    server = make_server(ALLOW_LOCAL)
    _, account, client = await publisher(server, None)
    _, _, other = await publisher(server, None)
    reader = await register(server)
    chat = await follow(reader, account)
    thumb = client.media.upload("image", ("cover.png", mediafiles.png(120, 60)))["media_id"]
    voice = client.media.upload("voice", ("v.wav", mediafiles.wav(0.5)))["media_id"]
    theirs = other.media.upload("image", ("c.png", mediafiles.png(20, 20)))["media_id"]
    their_set = other.media.upload_articles([{"thumb_media_id": theirs, "title": "t", "content": "c"}])["media_id"]

    def article(**changes: Any) -> dict[str, Any]:
        return {"thumb_media_id": thumb, "title": "A title", "content": "<p>text</p>"} | changes

    cases: list[tuple[str, Any, int]] = [
        ("no articles", {"articles": []}, 44003),
        ("not a list", {"articles": "x"}, 44003),
        ("nine", {"articles": [article()] * 9}, 45008),
        ("no title", {"articles": [article(title="  ")]}, 44003),
        ("a long title", {"articles": [article(title="t" * 65)]}, 45003),
        ("a title that is a number", {"articles": [article(title=5)]}, 40035),
        ("a long digest", {"articles": [article(digest="d" * 121)]}, 45004),
        ("no thumb", {"articles": [article(thumb_media_id=None)]}, 40007),
        ("someone else's thumb", {"articles": [article(thumb_media_id=theirs)]}, 40007),
        ("a voice as thumb", {"articles": [article(thumb_media_id=voice)]}, 40007),
        ("an unknown inline picture", {"articles": [article(content=f'<img src="/api/v1/media/{"B" * 22}">')]}, 40007),
        (
            "someone else's inline picture",
            {"articles": [article(content=f'<img src="/api/v1/media/{theirs}">')]},
            40007,
        ),
        ("nothing left once cleaned", {"articles": [article(content="<script>x()</script>")]}, 44004),
        ("too long", {"articles": [article(content="<p>" + "x" * 20_001 + "</p>")]}, 45002),
        ("a javascript: source", {"articles": [article(content_source_url="javascript:x()")]}, 40035),
        ("an article that is a string", {"articles": ["x"]}, 40035),
    ]
    for label, body, errcode in cases:
        with pytest.raises(WeChatClientException) as refused:
            client.post("media/uploadnews", data=body)
        assert refused.value.errcode == errcode, label
    sends: list[tuple[str, dict[str, Any], int]] = [
        ("an unknown set", {"msgtype": "mpnews", "mpnews": {"media_id": "C" * 22}, "filter": {"is_to_all": True}},
         40007),
        ("another account's set", {"msgtype": "mpnews", "mpnews": {"media_id": their_set},
                                   "filter": {"is_to_all": True}}, 40007),
        ("no media id", {"msgtype": "mpnews", "mpnews": {}, "filter": {"is_to_all": True}}, 40007),
    ]  # fmt: skip
    for label, body, errcode in sends:
        with pytest.raises(WeChatClientException) as refused:
            client.post("message/mass/sendall", data=body)
        assert refused.value.errcode == errcode, label
    with pytest.raises(WeChatClientException) as towxname:
        client.post("message/mass/preview", data={"towxname": "someone", "msgtype": "text", "text": {"content": "x"}})
    assert towxname.value.errcode == 40003
    theirs_sent = other.post("message/mass/sendall", data={"msgtype": "text", "text": {"content": "x"},
                                                            "filter": {"is_to_all": True}})  # fmt: skip
    with pytest.raises(WeChatClientException) as not_theirs:
        client.message.get_mass(theirs_sent["msg_id"])
    assert not_theirs.value.errcode == 40035
    with pytest.raises(WeChatClientException) as not_deletable:
        other.message.delete_mass(theirs_sent["msg_id"])  # a text, once delivered, is the follower's
    assert not_deletable.value.errcode == 40035
    await asyncio.sleep(0.2)
    assert await account_messages(reader, chat) == []
