"""Template messages end to end, with the real wechatpy and werobot: a service account sets its
industries, takes a template from kith's library, sends it; the follower reads the notice, the bot's
webhook (werobot, on 127.0.0.1) hears TEMPLATESENDJOBFINISH, which wechatpy parses; a deleted
template sends nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import wechatpy
import werobot
from helpers import User, free_port, kith_client, register, serve_wsgi, wait_for
from wechatpy.exceptions import WeChatClientException

pytestmark = pytest.mark.asyncio(loop_scope="module")

ALLOW_LOCAL = {"KITH_PLATFORM_ALLOW_PRIVATE_WEBHOOKS": "true"}


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
    reports: list[Any] = field(default_factory=list)  # wechatpy's parse of each TEMPLATESENDJOBFINISH


@pytest.fixture
def bot() -> Iterator[Bot]:
    robot = werobot.WeRoBot(token="kithtoken1", SESSION_STORAGE=False)
    hook = Bot("")

    @robot.templatesendjobfinish_event
    def finished(message: Any) -> str:
        hook.reports.append(wechatpy.parse_message(message.raw))
        return "a reply to a report reaches nobody"

    port = free_port()
    httpd = serve_wsgi(robot.wsgi, port)
    hook.url = f"http://127.0.0.1:{port}/wechat"
    yield hook
    httpd.shutdown()
    httpd.server_close()


async def from_account(user: User, conversation_id: int) -> list[str]:
    history = await user.ok("GET", f"/conversations/{conversation_id}/messages")
    return [m["text"] for m in history["messages"] if m["sender_id"] is None and m["kind"] == "text"]


async def test_a_service_account_sends_a_template_from_the_library(make_server: Any, bot: Bot) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader = await register(server), await register(server)
    created = await owner.ok("POST", "/official-accounts", json={"name": "Harbour Shop", "kind": "service",
                                                                 "description": "orders"})  # fmt: skip
    account = created["account"]
    await owner.ok("PUT", f"/official-accounts/{account['id']}/webhook", json={"webhook_url": bot.url,
                                                                               "token": "kithtoken1"})  # fmt: skip
    chat = (await reader.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"]
    client = kith_client(server.url, account["app_id"], created["app_secret"])
    call = asyncio.to_thread

    assert (await call(client.template.set_industry, 2, 13))["errcode"] == 0  # the first choice
    assert (await call(client.template.set_industry, 1, 13))["errcode"] == 0  # and this month's change
    assert await call(client.template.get_industry) == {
        "primary_industry": {"first_class": "IT科技", "second_class": "互联网|电子商务"},
        "secondary_industry": {"first_class": "运输与仓储", "second_class": "快递"},
    }
    with pytest.raises(WeChatClientException) as again:
        await call(client.template.set_industry, 2, 7)
    assert again.value.errcode == 43100  # once a month
    paid = await call(client.template.get, "TM00015")
    with pytest.raises(WeChatClientException) as elsewhere:
        await call(client.template.get, "TM00201")  # a bank's
    assert elsewhere.value.errcode == 45027
    (listed,) = (await call(client.template.get_all_private_template))["template_list"]
    assert listed["template_id"] == paid and listed["title"] == "订单支付成功"
    assert listed["content"].splitlines()[1] == "订单号：{{keyword1.DATA}}"

    openid = (await call(client.user.get_followers))["data"]["openid"][0]
    data = {"first": {"value": "We have your payment", "color": "#173177"}, "keyword1": {"value": "A-1041"},
            "keyword2": {"value": "30.00元"}, "keyword3": {"value": "Canvas tote"},
            "remark": {"value": "Thank you!"}}  # fmt: skip
    sent = await call(client.message.send_template, openid, paid, data, url="https://shop.example.org/A-1041")
    assert sent["errcode"] == 0 and sent["msgid"] > 0
    shown = "订单支付成功\nWe have your payment\n订单号：A-1041\n支付金额：30.00元\n商品信息：Canvas tote\nThank you!"
    assert await from_account(reader, chat) == [shown + "\nhttps://shop.example.org/A-1041"]

    async def reported() -> Any:
        return bot.reports

    (report,) = await wait_for(reported)
    assert (report.event, report.id, report.status) == ("templatesendjobfinish", sent["msgid"], "success")
    assert report.source == openid and report.target.startswith("gh_")

    # werobot's client sends the same body (with "url": "" always)
    robot = KithRobot({"APP_ID": account["app_id"], "APP_SECRET": created["app_secret"]}, server.url)
    again_sent = await call(robot.send_template_message, openid, paid, {"first": {"value": "Shipped"}})
    assert (await from_account(reader, chat))[-1] == "订单支付成功\nShipped\n订单号：\n支付金额：\n商品信息："

    async def both() -> Any:
        return len(bot.reports) == 2

    await wait_for(both)
    assert (bot.reports[1].id, bot.reports[1].status) == (again_sent["msgid"], "success")

    await call(client.template.del_private_template, paid)
    assert (await call(client.template.get_all_private_template))["template_list"] == []
    with pytest.raises(WeChatClientException) as deleted:
        await call(client.message.send_template, openid, paid, data)
    assert deleted.value.errcode == 40037
    assert len(await from_account(reader, chat)) == 2
    await asyncio.sleep(0.3)  # the reply to each report reached nobody
    assert len(await from_account(reader, chat)) == 2
