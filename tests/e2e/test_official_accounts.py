"""Official accounts end to end, with the real, unmodified wechatpy and werobot: a werobot bot is a
real HTTP server on 127.0.0.1 registered as an account's webhook, and wechatpy calls /cgi-bin/."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import mediafiles
import pytest
import wechatpy
import werobot
from helpers import PASSWORD, User, account_messages, free_port, kith_client, register, serve_wsgi, wait_for
from wechatpy.exceptions import WeChatClientException

pytestmark = pytest.mark.asyncio(loop_scope="module")

ALLOW_LOCAL = {"KITH_PLATFORM_ALLOW_PRIVATE_WEBHOOKS": "true"}


def mass_text(client: Any, tag_id: int | None, content: str) -> Any:
    """A mass text to everyone (``tag_id`` None) or to a tag, in the words of the installed wechatpy:
    1.x takes the audience first, 2.x the content (the suite runs with either)."""
    if wechatpy.__version__.startswith("1."):
        return client.message.send_mass_text(tag_id, content, is_to_all=tag_id is None)
    return client.message.send_mass_text(content, tag_id, is_to_all=tag_id is None)


@dataclass
class Bot:
    robot: werobot.WeRoBot
    url: str
    seen: list[str]


@pytest.fixture
def bot() -> Iterator[Bot]:
    robot = werobot.WeRoBot(token="kithtoken1", SESSION_STORAGE=False)
    seen: list[str] = []

    @robot.subscribe
    def hello(message: Any) -> str:
        seen.append("subscribe")
        return "Welcome to the harbour news!"

    @robot.key_click("TODAY")
    def today(message: Any) -> list[list[str]]:
        seen.append("click")
        return [["Boats in, boats out", "Today's harbour", "http://example.org/p.jpg", "http://example.org/today"]]

    @robot.text
    def echo(message: Any) -> str:
        seen.append("text:" + message.content)
        return "You said: " + message.content

    @robot.unsubscribe
    def bye(message: Any) -> str:
        seen.append("unsubscribe")
        return "never shown"

    port = free_port()
    httpd = serve_wsgi(robot.wsgi, port)
    yield Bot(robot, f"http://127.0.0.1:{port}/wechat", seen)
    httpd.shutdown()
    httpd.server_close()


async def new_account(owner: User, name: str, kind: str = "subscription") -> dict[str, Any]:
    created = await owner.ok("POST", "/official-accounts", json={"name": name, "kind": kind, "description": "news"})
    return created


async def test_a_werobot_bot_and_wechatpy_run_on_kith(make_server: Any, bot: Bot) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader = await register(server), await register(server)
    created = await new_account(owner, "Harbour News")
    account, secret = created["account"], created["app_secret"]
    assert account["app_id"].startswith("wx") and len(secret) == 32
    assert "app_secret" not in (await owner.ok("GET", f"/official-accounts/{account['id']}/console"))

    # the webhook: a wrong Token fails the handshake, the right one passes
    hook = f"/official-accounts/{account['id']}/webhook"
    wrong = await owner.call("PUT", hook, json={"webhook_url": bot.url, "token": "notthetoken"})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "handshake_failed"
    saved = await owner.ok("PUT", hook, json={"webhook_url": bot.url, "token": "kithtoken1"})
    assert saved["webhook_url"] == bot.url

    # a reader finds it, follows, and gets the bot's greeting
    found = await reader.ok("GET", "/official-accounts", params={"q": "harbour"})
    assert [a["name"] for a in found["accounts"]] == ["Harbour News"]
    followed = await reader.ok("PUT", f"/official-accounts/{account['id']}/follow")
    chat = followed["conversation_id"]

    async def greeted() -> Any:
        return [m["text"] for m in await account_messages(reader, chat)] == ["Welcome to the harbour news!"]

    await wait_for(greeted)
    listed = await reader.ok("GET", "/conversations")
    entry = next(c for c in listed["conversations"] if c["id"] == chat)
    assert entry["kind"] == "official" and entry["account"]["name"] == "Harbour News" and entry["unread"] == 1

    # text in, the bot's passive reply out
    await reader.ok("POST", f"/conversations/{chat}/messages", json={"id": "q1", "text": "any boats today?"})

    async def answered() -> Any:
        return "You said: any boats today?" in [m["text"] for m in await account_messages(reader, chat)]

    await wait_for(answered)
    assert bot.seen[:2] == ["subscribe", "text:any boats today?"]

    # wechatpy makes the menu; the reader sees it, taps it, and the bot's article arrives
    client = kith_client(server.url, account["app_id"], secret)
    site = {"type": "view", "name": "Site", "url": "http://example.org"}
    menu = {"button": [{"type": "click", "name": "Today", "key": "TODAY"}, {"name": "More", "sub_button": [site]}]}
    await asyncio.to_thread(client.menu.create, menu)
    got = await asyncio.to_thread(client.menu.get)
    assert got["menu"]["button"][0]["key"] == "TODAY"
    card = await reader.ok("GET", f"/official-accounts/{account['id']}")
    assert card["menu"][0]["name"] == "Today" and card["following"] is True
    await reader.ok("POST", f"/official-accounts/{account['id']}/menu-events", json={"key": "TODAY"})

    async def article() -> Any:
        news = [m for m in await account_messages(reader, chat) if m["kind"] == "news"]
        return news and news[0]["articles"][0]["title"] == "Boats in, boats out"

    await wait_for(article)
    bad_key = await reader.call("POST", f"/official-accounts/{account['id']}/menu-events", json={"key": "NOPE"})
    assert bad_key.status_code == 404

    # customer-service messages: the reader wrote, so 5 within 48 hours (the tap's shorter window does
    # not replace the longer one); the 6th is refused
    followers = await asyncio.to_thread(client.user.get_followers)
    assert followers["total"] == 1 and len(followers["data"]["openid"][0]) == 28
    openid = followers["data"]["openid"][0]
    for n in range(5):
        await asyncio.to_thread(client.message.send_text, openid, f"update {n}")
    with pytest.raises(WeChatClientException) as refused:
        await asyncio.to_thread(client.message.send_text, openid, "one too many")
    assert refused.value.errcode == 45047
    texts = [m["text"] for m in await account_messages(reader, chat)]
    assert texts[-5:] == [f"update {n}" for n in range(5)] and "one too many" not in texts

    # the same person has another openid at another account
    other = await new_account(owner, "Ferry Times")
    await reader.ok("PUT", f"/official-accounts/{other['account']['id']}/follow")
    other_client = kith_client(server.url, other["account"]["app_id"], other["app_secret"])
    other_openid = (await asyncio.to_thread(other_client.user.get_followers))["data"]["openid"][0]
    assert other_openid != openid and len(other_openid) == 28 and other_openid != str(reader.id)

    # an unfollow stops everything at once
    await reader.ok("DELETE", f"/official-accounts/{account['id']}/follow")
    with pytest.raises(WeChatClientException) as stopped:
        await asyncio.to_thread(client.message.send_text, openid, "still there?")
    assert stopped.value.errcode == 43004
    cut_off = await reader.call("POST", f"/conversations/{chat}/messages", json={"id": "q2", "text": "hello?"})
    assert cut_off.status_code == 403 and cut_off.json()["error"]["code"] == "not_following"

    async def told() -> Any:  # the webhook hears the unfollow too, a moment later (from the outbox)
        deliveries = (await owner.ok("GET", f"/official-accounts/{account['id']}/deliveries"))["deliveries"]
        return deliveries if deliveries[0]["event"] == "unsubscribe" else None

    deliveries = await wait_for(told)
    assert {d["status"] for d in deliveries} <= {"delivered", "no_reply"}


async def test_tokens_and_hostile_requests(make_server: Any) -> None:
    server = make_server()
    owner = await register(server)
    created = await new_account(owner, "Tide Tables")
    app_id, secret = created["account"]["app_id"], created["app_secret"]
    async with httpx.AsyncClient(base_url=server.url + "/cgi-bin") as http:

        async def errcode(method: str, path: str, **kw: Any) -> int:
            response = await http.request(method, path, **kw)
            assert response.status_code == 200, response.text
            return int(response.json().get("errcode", 0))

        token_ok = await http.get(
            "/token", params={"grant_type": "client_credential", "appid": app_id, "secret": secret}
        )
        token = token_ok.json()["access_token"]
        assert token_ok.json()["expires_in"] == 7200
        t = {"access_token": token}

        def creds(**changes: str) -> dict[str, Any]:
            return {"params": {"grant_type": "client_credential", "appid": app_id, "secret": secret, **changes}}

        def send(body: dict[str, Any]) -> dict[str, Any]:
            return {"params": t, "json": {"touser": "o" * 28, **body}}

        def menu(button: dict[str, Any]) -> dict[str, Any]:
            return {"params": t, "json": {"button": [button]}}

        table = [
            ("GET", "/token", creds(secret="x" * 32), 40125),
            ("GET", "/token", creds(appid="wxnope"), 40013),
            ("GET", "/token", creds(grant_type="password"), 40002),
            ("GET", "/menu/get", {}, 41001),
            ("GET", "/menu/get", {"params": {"access_token": "forged"}}, 40014),
            ("GET", "/menu/get", {"params": t}, 46003),
            ("POST", "/menu/create", {"params": t, "content": b""}, 44002),
            ("POST", "/menu/create", {"params": t, "content": b"{not json"}, 47001),
            ("POST", "/menu/create", {"params": t, "content": b"[1]"}, 47001),
            ("POST", "/menu/create", menu({"type": "click", "name": "x" * 17, "key": "k"}), 40018),
            ("POST", "/menu/create", menu({"type": "view", "name": "x", "url": "javascript:alert(1)"}), 40055),
            ("POST", "/menu/create", menu({"type": "shell", "name": "x"}), 40016),
            ("POST", "/message/custom/send", send({"msgtype": "text", "text": {"content": "hi"}}), 43004),
            ("POST", "/message/custom/send", send({"msgtype": "shell", "shell": {}}), 40008),
            ("POST", "/menu/get", {"params": t}, 43001),
            ("GET", "/no/such/api", {"params": t}, 48001),
            ("POST", "/menu/create", {"params": t, "content": b"{" + b" " * (2 << 20) + b"}"}, 45002),
        ]
        for method, path, kw, expected in table:
            assert await errcode(method, path, **kw) == expected, (method, path, kw.get("params"))
        reset = await owner.ok("POST", f"/official-accounts/{created['account']['id']}/secret")
        assert await errcode("GET", "/menu/get", params={"access_token": token}) == 40014  # made with the old secret
        fresh = await http.get(
            "/token", params={"grant_type": "client_credential", "appid": app_id, "secret": reset["app_secret"]}
        )
        assert await errcode("GET", "/menu/get", params={"access_token": fresh.json()["access_token"]}) == 46003


async def test_private_webhook_addresses_are_refused(make_server: Any) -> None:
    server = make_server()  # the default: no loopback or private webhooks
    owner = await register(server)
    account = (await new_account(owner, "Lighthouse"))["account"]
    for url in ("http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://[::1]/hook", "http://169.254.169.254/x",
                "http://localhost/hook", "ftp://example.org/x", "http://user:pw@example.org/"):  # fmt: skip
        response = await owner.call(
            "PUT", f"/official-accounts/{account['id']}/webhook", json={"webhook_url": url, "token": "abc123"}
        )
        assert response.status_code == 400 and response.json()["error"]["code"] == "webhook_url_refused", url
    stranger = await register(server)
    theirs = await stranger.call(
        "PUT", f"/official-accounts/{account['id']}/webhook", json={"webhook_url": "", "token": "abc123"}
    )
    assert theirs.status_code == 404
    assert (await stranger.call("GET", f"/official-accounts/{account['id']}/console")).status_code == 404
    taken = await stranger.call("POST", "/official-accounts", json={"name": "LIGHTHOUSE", "kind": "service"})
    assert taken.status_code == 409


@pytest.mark.parametrize("mode", ["safe", "compatible"])
async def test_safe_mode_with_werobots_crypto(make_server: Any, mode: str) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader = await register(server), await register(server)
    created = await new_account(owner, f"Cipher {mode}")
    account = created["account"]
    key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    robot = werobot.WeRoBot(token="kithtoken2", app_id=account["app_id"], encoding_aes_key=key, SESSION_STORAGE=False)
    robot.text(lambda message: "secret reply to " + message.content)
    robot.subscribe(lambda message: "encrypted welcome")
    port = free_port()
    httpd = serve_wsgi(robot.wsgi, port)
    try:
        await owner.ok(
            "PUT", f"/official-accounts/{account['id']}/webhook",
            json={"webhook_url": f"http://127.0.0.1:{port}/", "token": "kithtoken2", "encoding_aes_key": key,
                  "mode": mode},
        )  # fmt: skip
        chat = (await reader.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"]
        await reader.ok("POST", f"/conversations/{chat}/messages", json={"id": "s1", "text": "psst"})

        async def both() -> Any:
            return [m["text"] for m in await account_messages(reader, chat)] == [
                "encrypted welcome",
                "secret reply to psst",
            ]

        await wait_for(both)
    finally:
        httpd.shutdown()
        httpd.server_close()
    deliveries = (await owner.ok("GET", f"/official-accounts/{account['id']}/deliveries"))["deliveries"]
    assert [d["status"] for d in deliveries] == ["delivered", "delivered"]


async def test_media_and_mass_sends_through_wechatpy(make_server: Any, bot: Bot) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader, other = await register(server), await register(server), await register(server)
    created = await new_account(owner, "Harbour Photos")
    account = created["account"]
    await owner.ok(
        "PUT", f"/official-accounts/{account['id']}/webhook", json={"webhook_url": bot.url, "token": "kithtoken1"}
    )
    chats = [
        (await u.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"] for u in (reader, other)
    ]
    client = kith_client(server.url, account["app_id"], created["app_secret"])

    # an upload through wechatpy, then a customer-service picture inside the follow's window
    uploaded = await asyncio.to_thread(client.media.upload, "image", ("boats.jpg", mediafiles.jpeg(320, 240)))
    assert uploaded["type"] == "image" and len(uploaded["media_id"]) == 22
    openids = (await asyncio.to_thread(client.user.get_followers))["data"]["openid"]
    assert len(openids) == 2
    for openid in openids:
        await asyncio.to_thread(client.message.send_image, openid, uploaded["media_id"])
    with pytest.raises(WeChatClientException) as video:
        await asyncio.to_thread(client.media.upload, "video", ("x.mp4", b"not a video"))
    assert video.value.errcode == 40005  # not a video (tests/e2e/test_platform_video.py has the rest)

    # each follower sees the picture and can fetch it; the bot can fetch what a follower sends
    for chat, user in zip(chats, (reader, other), strict=True):
        pictures = [m for m in await account_messages(user, chat) if m["kind"] == "image"]
        assert [p["media"]["id"] for p in pictures] == [uploaded["media_id"]]
        got = await user.call("GET", f"/media/{uploaded['media_id']}")
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    mine = await reader.ok("POST", "/media", params={"kind": "image"}, content=mediafiles.png(),
                           headers={"Content-Type": "image/png"})  # fmt: skip
    await reader.ok("POST", f"/conversations/{chats[0]}/messages", json={"id": "p1", "media_id": mine["id"]})
    downloaded = await asyncio.to_thread(client.media.download, mine["id"])
    assert downloaded.status_code == 200 and downloaded.content[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(WeChatClientException) as unknown:
        await asyncio.to_thread(client.media.download, "AAAAAAAAAAAAAAAAAAAAAA")
    assert unknown.value.errcode == 40007

    # a mass send reaches every follower once; a second one the same day is refused
    await asyncio.to_thread(mass_text, client, None, "Regatta on Sunday!")
    for chat, user in zip(chats, (reader, other), strict=True):

        async def arrived(chat: int = chat, user: User = user) -> Any:
            return "Regatta on Sunday!" in [m["text"] for m in await account_messages(user, chat)]

        await wait_for(arrived)
    with pytest.raises(WeChatClientException) as again:
        await asyncio.to_thread(mass_text, client, None, "And Monday!")
    assert again.value.errcode == 45028


def wechatpy_webhook(token: str, key: str, app_id: str) -> Any:
    """A webhook written with wechatpy alone, as its documentation shows (check_signature,
    WeChatCrypto, parse_message, create_reply), as a WSGI app."""
    from urllib.parse import parse_qs

    from wechatpy import create_reply, parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.exceptions import InvalidSignatureException
    from wechatpy.utils import check_signature

    crypto = WeChatCrypto(token, key, app_id)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            check_signature(token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
        except InvalidSignatureException:
            start_response("403 Forbidden", [])
            return [b""]
        if environ["REQUEST_METHOD"] == "GET":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [q["echostr"].encode()]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        xml = crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"])
        message = parse_message(xml)
        answer = "wechatpy says hi" if message.type == "event" else f"wechatpy heard: {message.content}"
        reply = create_reply(answer, message).render()
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [crypto.encrypt_message(reply, q["nonce"], q["timestamp"]).encode()]

    return app


async def test_safe_mode_with_a_wechatpy_webhook(make_server: Any) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader = await register(server), await register(server)
    account = (await new_account(owner, "Cipher wechatpy"))["account"]
    key = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
    port = free_port()
    httpd = serve_wsgi(wechatpy_webhook("wpytoken", key, account["app_id"]), port)
    try:
        await owner.ok(
            "PUT", f"/official-accounts/{account['id']}/webhook",
            json={"webhook_url": f"http://127.0.0.1:{port}/wx", "token": "wpytoken", "encoding_aes_key": key,
                  "mode": "safe"},
        )  # fmt: skip
        chat = (await reader.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"]
        await reader.ok("POST", f"/conversations/{chat}/messages", json={"id": "w1", "text": "你好 <x> & co"})

        async def both() -> Any:
            return [m["text"] for m in await account_messages(reader, chat)] == [
                "wechatpy says hi",
                "wechatpy heard: 你好 <x> & co",
            ]

        await wait_for(both)
        # wechatpy does not escape "]]>" in its CDATA: the echo of such a text is malformed XML,
        # which kith drops (and logs for the owner) rather than show
        await reader.ok("POST", f"/conversations/{chat}/messages", json={"id": "w2", "text": "a]]><b>injected</b>"})

        async def logged() -> Any:
            deliveries = (await owner.ok("GET", f"/official-accounts/{account['id']}/deliveries"))["deliveries"]
            return deliveries[0]["status"] == "abnormal_reply" and "well-formed" in deliveries[0]["error"]

        await wait_for(logged)
        assert len(await account_messages(reader, chat)) == 2
    finally:
        httpd.shutdown()
        httpd.server_close()


async def test_a_qr_code_leads_to_the_account_and_its_scene_reaches_the_bot(make_server: Any) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader = await register(server), await register(server)
    created = await new_account(owner, "Poster Desk")
    account = created["account"]
    robot = werobot.WeRoBot(token="kithtoken3", SESSION_STORAGE=False)
    heard: list[tuple[str, str, str]] = []

    @robot.subscribe
    def followed(message: Any) -> str:
        heard.append(("subscribe", message.key, message.ticket))
        return "Thanks for scanning our poster"

    @robot.scan
    def scanned(message: Any) -> str:
        heard.append(("scan", message.key, message.ticket))
        return "Welcome back"

    port = free_port()
    httpd = serve_wsgi(robot.wsgi, port)
    try:
        hook = {"webhook_url": f"http://127.0.0.1:{port}/", "token": "kithtoken3"}
        await owner.ok("PUT", f"/official-accounts/{account['id']}/webhook", json=hook)
        client = kith_client(server.url, account["app_id"], created["app_secret"])
        qr = await asyncio.to_thread(
            client.qrcode.create,
            {
                "expire_seconds": 1800,
                "action_name": "QR_SCENE",
                "action_info": {"scene": {"scene_id": 123}},
            },
        )
        assert qr["expire_seconds"] == 1800 and qr["url"].startswith(server.url)
        chat = (await reader.ok("POST", "/official-accounts/scan", json={"ticket": qr["ticket"]}))["conversation_id"]
        await reader.ok("POST", "/official-accounts/scan", json={"ticket": qr["ticket"]})

        async def both() -> Any:
            return [m["text"] for m in await account_messages(reader, chat)] == [
                "Thanks for scanning our poster",
                "Welcome back",
            ]

        await wait_for(both)
        assert heard == [("subscribe", "qrscene_123", qr["ticket"]), ("scan", "123", qr["ticket"])]
        nope = await reader.call("POST", "/official-accounts/scan", json={"ticket": "forged"})
        assert nope.status_code == 404 and nope.json()["error"]["code"] == "no_such_ticket"
    finally:
        httpd.shutdown()
        httpd.server_close()


async def test_tags_through_wechatpy_and_a_mass_send_to_one(make_server: Any) -> None:
    server = make_server()
    owner, vip, regular = await register(server), await register(server), await register(server)
    created = await new_account(owner, "Ferry Club", kind="service")
    account = created["account"]
    chats = {}
    for user in (vip, regular):
        chats[user.id] = (await user.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"]
    client = kith_client(server.url, account["app_id"], created["app_secret"])
    openids = (await asyncio.to_thread(client.user.get_followers))["data"]["openid"]
    tag = await asyncio.to_thread(client.tag.create, "VIP")
    assert tag["name"] == "VIP" and tag["id"] >= 100
    with pytest.raises(WeChatClientException) as twice:
        await asyncio.to_thread(client.tag.create, "VIP")
    assert twice.value.errcode == 45157
    # which openid is the VIP's: the one whose conversation gets the customer-service hello
    await asyncio.to_thread(client.message.send_text, openids[0], "which one?")
    first_is_vip = bool(await account_messages(vip, chats[vip.id]))
    vip_openid = openids[0] if first_is_vip else openids[1]
    await asyncio.to_thread(client.tag.tag_user, tag["id"], [vip_openid])
    assert (await asyncio.to_thread(client.tag.get_user_tag, vip_openid)) == [tag["id"]]
    assert (await asyncio.to_thread(client.tag.get_tag_users, tag["id"]))["data"]["openid"] == [vip_openid]
    listed = await asyncio.to_thread(client.tag.get)
    assert listed == [{"id": tag["id"], "name": "VIP", "count": 1}]
    with pytest.raises(WeChatClientException) as stranger:
        await asyncio.to_thread(client.tag.tag_user, tag["id"], ["o" * 28])
    assert stranger.value.errcode == 40003

    await asyncio.to_thread(mass_text, client, tag["id"], "Members' sailing on Sunday")

    async def arrived() -> Any:
        return "Members' sailing on Sunday" in [m["text"] for m in await account_messages(vip, chats[vip.id])]

    await wait_for(arrived)
    assert "Members' sailing on Sunday" not in [m["text"] for m in await account_messages(regular, chats[regular.id])]
    await asyncio.to_thread(client.tag.delete, tag["id"])
    assert await asyncio.to_thread(client.tag.get) == []


async def test_template_messages_and_an_accounts_picture(make_server: Any) -> None:
    server = make_server()
    owner, reader = await register(server), await register(server)
    service = await new_account(owner, "Ferry Tickets", kind="service")
    subscription = await new_account(owner, "Ferry Gossip")
    chat = (await reader.ok("PUT", f"/official-accounts/{service['account']['id']}/follow"))["conversation_id"]
    await reader.ok("PUT", f"/official-accounts/{subscription['account']['id']}/follow")
    client = kith_client(server.url, service["account"]["app_id"], service["app_secret"])
    openid = (await asyncio.to_thread(client.user.get_followers))["data"]["openid"][0]
    await asyncio.to_thread(client.template.set_industry, 12, 27)  # travel, trains
    booked = await asyncio.to_thread(client.template.get, "TM00402")  # a template from kith's library
    data = {"first": {"value": "Your ticket is booked", "color": "#173177"}, "keyword2": {"value": "Sat 09:40"},
            "remark": {"value": ""}}  # fmt: skip
    sent = await asyncio.to_thread(client.message.send_template, openid, booked, data, url="https://example.org/t/1")
    assert sent["msgid"] > 0
    texts = [m["text"] for m in await account_messages(reader, chat)]
    shown = "购票成功通知\nYour ticket is booked\n项目：\n出发时间：Sat 09:40\n数量：\nhttps://example.org/t/1"
    assert texts == [shown]
    gossip = kith_client(server.url, subscription["account"]["app_id"], subscription["app_secret"])
    gossip_openid = (await asyncio.to_thread(gossip.user.get_followers))["data"]["openid"][0]
    with pytest.raises(WeChatClientException) as refused:
        await asyncio.to_thread(gossip.message.send_template, gossip_openid, "T", data)
    assert refused.value.errcode == 48001  # a subscription account sends no templates
    with pytest.raises(WeChatClientException) as stranger:
        await asyncio.to_thread(client.message.send_template, "o" * 28, booked, data)
    assert stranger.value.errcode == 43004

    picture = await owner.ok("POST", "/media", params={"kind": "image"}, content=mediafiles.png(),
                             headers={"Content-Type": "image/png"})  # fmt: skip
    await owner.ok("PUT", f"/official-accounts/{service['account']['id']}/avatar", json={"media_id": picture["id"]})
    card = await reader.ok("GET", f"/official-accounts/{service['account']['id']}")
    assert card["avatar"] == picture["id"]
    assert (await reader.call("GET", f"/media/{picture['id']}")).status_code == 200
    other = await register(server)
    theirs = await other.call(
        "PUT", f"/official-accounts/{service['account']['id']}/avatar", json={"media_id": picture["id"]}
    )
    assert theirs.status_code == 404


async def test_a_music_reply_is_a_card_and_a_deleted_owner_retires_the_account(make_server: Any) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader = await register(server), await register(server)
    created = await new_account(owner, "Shanty Hour")
    account = created["account"]
    robot = werobot.WeRoBot(token="kithtoken4", SESSION_STORAGE=False)
    robot.text(lambda message: ["Sea Shanty", "for the harbour", "http://example.org/shanty.mp3"])  # music
    port = free_port()
    httpd = serve_wsgi(robot.wsgi, port)
    try:
        hook = {"webhook_url": f"http://127.0.0.1:{port}/", "token": "kithtoken4"}
        await owner.ok("PUT", f"/official-accounts/{account['id']}/webhook", json=hook)
        chat = (await reader.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"]
        await reader.ok("POST", f"/conversations/{chat}/messages", json={"id": "m1", "text": "a song, please"})

        async def card() -> Any:
            news = [m for m in await account_messages(reader, chat) if m["kind"] == "news"]
            return news and news[0]["articles"][0]

        article = await wait_for(card)
        assert (article["title"], article["url"]) == ("Sea Shanty", "http://example.org/shanty.mp3")
    finally:
        httpd.shutdown()
        httpd.server_close()
    client = kith_client(server.url, account["app_id"], created["app_secret"])
    await asyncio.to_thread(client.user.get_followers)  # a token made before the owner goes
    await owner.ok("DELETE", "/me", json={"password": PASSWORD})
    with pytest.raises(WeChatClientException) as retired:
        await asyncio.to_thread(client.user.get_followers)
    assert retired.value.errcode in (40014, 40125)  # the token is gone, and no secret makes a new one
    assert len(await account_messages(reader, chat)) == 1  # the follower keeps the conversation


async def test_a_shared_place_reaches_the_bot_as_a_location_message(make_server: Any) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader = await register(server), await register(server)
    account = (await new_account(owner, "Harbour Taxi"))["account"]
    robot = werobot.WeRoBot(token="kithtoken5", SESSION_STORAGE=False)
    heard: list[Any] = []

    @robot.location
    def pick_up(message: Any) -> str:
        heard.append((message.location, message.scale, message.label))
        return f"A boat is on its way to {message.label}"

    port = free_port()
    httpd = serve_wsgi(robot.wsgi, port)
    try:
        hook = {"webhook_url": f"http://127.0.0.1:{port}/", "token": "kithtoken5"}
        await owner.ok("PUT", f"/official-accounts/{account['id']}/webhook", json=hook)
        chat = (await reader.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"]
        place = {"latitude": 53.5461, "longitude": 9.9661, "label": "Landungsbrücken", "scale": 15}
        await reader.ok("POST", f"/conversations/{chat}/messages", json={"id": "taxi", "location": place})

        async def answered() -> Any:
            return "A boat is on its way to Landungsbrücken" in [
                m["text"] for m in await account_messages(reader, chat)
            ]

        await wait_for(answered)
        assert heard == [((53.5461, 9.9661), 15, "Landungsbrücken")]  # werobot's floats and its integer Scale
    finally:
        httpd.shutdown()
        httpd.server_close()
