"""kith's template library and template messages, in-process with a clock the test moves: every
refusal with its WeChat errcode and no change, what a follower sees, the report to the webhook, the
monthly industry change and the per-follower cap."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from domain import Kit

from kith.accounts.models import Caller
from kith.jsonenc import decode
from kith.platform import store, templates
from kith.platform.models import WeChatError
from kith.platform.template_service import MAX_TEMPLATES
from kith.platform.templates import LIBRARY, render
from kith.storage.database import Row


async def account(kit: Kit, kind: str = "service", industries: tuple[int, int] | None = (1, 2)) -> Row:
    owner = await kit.user()
    created = await kit.platform.create_account(owner, f"Account {owner.user_id}", kind, "")
    row = await kit.db.read(store.account, created.account.id)
    if industries is not None and kind == "service":
        await kit.platform.templates.set_industry(row, {"industry_id1": industries[0], "industry_id2": industries[1]})
    return row


async def follower(kit: Kit, row: Row) -> tuple[Caller, str, int]:
    user = await kit.user()
    followed = await kit.platform.follow(user, row["id"])
    follow = await kit.db.read(store.follow, row["id"], user.user_id)
    return user, follow["openid"], followed["conversation_id"]


async def add(kit: Kit, row: Row, short_id: str = "TM00015", **extra: Any) -> str:
    kit.clock.advance(1)  # listed in the order added
    return str((await kit.platform.templates.add(row, {"template_id_short": short_id, **extra}))["template_id"])


def notice(openid: str, template_id: str, **values: str) -> dict[str, Any]:
    data = {key: {"value": value, "color": "#173177"} for key, value in values.items()} or {"first": {"value": "hi"}}
    return {"touser": openid, "template_id": template_id, "data": data}


async def received(kit: Kit, user: Caller, conversation_id: int) -> list[str]:
    history = await kit.chats.history(user, conversation_id, None, None, 200)
    return [m.text for m in history["messages"] if m.sender_id is None and m.kind == "text"]


async def reports(kit: Kit) -> list[dict[str, Any]]:
    """The TEMPLATESENDJOBFINISH envelopes waiting in the outbox for webhooks."""
    rows = await kit.rows("SELECT payload FROM outbox WHERE topic = 'platform.deliver' ORDER BY id")
    jobs = [decode(payload) for (payload,) in rows]
    return [job["fields"] for job in jobs if job["event"] == "TEMPLATESENDJOBFINISH"]


async def with_webhook(kit: Kit, row: Row) -> None:
    hook = {"webhook_url": "http://127.0.0.1:9/hook", "token": "kithtoken1"}  # no handshake: nothing listens
    await kit.db.write(lambda tx: store.update_account(tx, row["id"], **hook))


# -- the library's refusals: each its errcode, and nothing changes ----------------------------------


@dataclass
class World:
    kit: Kit
    service: Row  # industries 1 and 2, then changed to 1 and 13 (this month's change is used)
    fresh: Row  # a service account with no industries yet
    full: Row  # 25 templates
    subscription: Row
    openid: str  # a follower of service
    stranger: str  # a follower of full only
    kept: str  # a template of service's
    deleted: str  # one it deleted
    theirs: str  # one of full's


@pytest.fixture
async def world(kit: Kit) -> World:
    service = await account(kit)
    await kit.platform.templates.set_industry(service, {"industry_id1": "1", "industry_id2": "13"})
    full = await account(kit)
    for _ in range(MAX_TEMPLATES):
        theirs = await add(kit, full)
    kept, deleted = await add(kit, service), await add(kit, service, "TM00501")
    await kit.platform.templates.delete(service, {"template_id": deleted})
    _, openid, _ = await follower(kit, service)
    _, stranger, _ = await follower(kit, full)
    return World(kit, service, await account(kit, industries=None), full, await account(kit, "subscription"),
                 openid, stranger, kept, deleted, theirs)  # fmt: skip


Call = Callable[[World], Awaitable[Any]]
REFUSED: list[tuple[str, Call, int]] = [
    ("an unknown short id", lambda w: add(w.kit, w.service, "TM99999"), 40037),
    ("a short id that is no string", lambda w: add(w.kit, w.service, 15), 40037),  # type: ignore[arg-type]
    ("a template of another industry", lambda w: add(w.kit, w.service, "TM00201"), 45027),
    ("a template of an industry left", lambda w: add(w.kit, w.service, "TM00101"), 45027),
    ("a template before any industry", lambda w: add(w.kit, w.fresh), 45027),
    ("the 26th template", lambda w: add(w.kit, w.full), 45026),
    ("a keyword the template lacks", lambda w: add(w.kit, w.service, keyword_name_list=["颜色"]), 40246),
    ("a keyword twice", lambda w: add(w.kit, w.service, keyword_name_list=["订单号", "订单号"]), 40246),
    ("keywords that are no list", lambda w: add(w.kit, w.service, keyword_name_list="订单号"), 40246),
    ("deleting an unknown id", lambda w: w.kit.platform.templates.delete(w.service, {"template_id": "nope"}), 40037),
    ("deleting without an id", lambda w: w.kit.platform.templates.delete(w.service, {}), 40037),
    ("deleting another account's", lambda w: w.kit.platform.templates.delete(w.service, {"template_id": w.theirs}),
     40037),
    ("deleting one twice", lambda w: w.kit.platform.templates.delete(w.service, {"template_id": w.deleted}), 40037),
    ("a second industry change this month",
     lambda w: w.kit.platform.templates.set_industry(w.service, {"industry_id1": 2, "industry_id2": 7}), 43100),
    ("an unknown industry", lambda w: w.kit.platform.templates.set_industry(w.fresh, {"industry_id1": 42,
                                                                                     "industry_id2": 1}), 40102),
    ("an industry that is no number",
     lambda w: w.kit.platform.templates.set_industry(w.fresh, {"industry_id1": "IT", "industry_id2": 1}), 40102),
    ("one industry only", lambda w: w.kit.platform.templates.set_industry(w.fresh, {"industry_id1": 1}), 40102),
    ("a send with a template never added", lambda w: w.kit.platform.templates.send(w.service, notice(w.openid, "x")),
     40037),
    ("a send with a deleted template",
     lambda w: w.kit.platform.templates.send(w.service, notice(w.openid, w.deleted)), 40037),
    ("a send with another account's template",
     lambda w: w.kit.platform.templates.send(w.service, notice(w.openid, w.theirs)), 40037),
    ("a send to someone who does not follow",
     lambda w: w.kit.platform.templates.send(w.service, notice(w.stranger, w.kept)), 43004),
    ("a send whose value is no string",
     lambda w: w.kit.platform.templates.send(w.service, {"touser": w.openid, "template_id": w.kept,
                                                         "data": {"keyword1": {"value": ["x"]}}}), 47003),
    ("a send without data",
     lambda w: w.kit.platform.templates.send(w.service, {"touser": w.openid, "template_id": w.kept}), 40035),
    ("a send with a link that is no web address",
     lambda w: w.kit.platform.templates.send(w.service, notice(w.openid, w.kept) | {"url": "javascript:alert(1)"}),
     40035),
    ("industries of a subscription account",
     lambda w: w.kit.platform.templates.set_industry(w.subscription, {"industry_id1": 1, "industry_id2": 2}), 48001),
    ("a subscription account's industries", lambda w: w.kit.platform.templates.get_industry(w.subscription), 48001),
    ("a template for a subscription account", lambda w: add(w.kit, w.subscription), 48001),
    ("a subscription account's templates", lambda w: w.kit.platform.templates.private(w.subscription), 48001),
    ("a send from a subscription account",
     lambda w: w.kit.platform.templates.send(w.subscription, notice(w.openid, w.kept)), 48001),
]  # fmt: skip


@pytest.mark.parametrize(("case", "call", "errcode"), REFUSED, ids=[c[0] for c in REFUSED])
async def test_the_library_refuses(world: World, case: str, call: Call, errcode: int) -> None:
    before = world.kit.dump()
    with pytest.raises(WeChatError) as refused:
        await call(world)
    assert refused.value.errcode == errcode, refused.value.message
    assert world.kit.dump() == before, f"{case} changed something"


# -- what works ---------------------------------------------------------------------------------------


async def test_industries_templates_and_a_notice_a_follower_reads(kit: Kit) -> None:
    row = await account(kit, industries=(1, 13))
    assert await kit.platform.templates.get_industry(row) == {
        "primary_industry": {"first_class": "IT科技", "second_class": "互联网|电子商务"},
        "secondary_industry": {"first_class": "运输与仓储", "second_class": "快递"},
    }
    paid, parcel = await add(kit, row), await add(kit, row, "TM00501")
    again = await add(kit, row)  # the same template twice: two ids
    assert len({paid, parcel, again}) == 3 and all(len(t) == 43 for t in (paid, parcel, again))
    listed = (await kit.platform.templates.private(row))["template_list"]
    assert [t["template_id"] for t in listed] == [paid, parcel, again]
    assert listed[0] == {
        "template_id": paid, "title": "订单支付成功", "primary_industry": "IT科技",
        "deputy_industry": "互联网|电子商务",
        "content": "{{first.DATA}}\n订单号：{{keyword1.DATA}}\n支付金额：{{keyword2.DATA}}\n"
                   "商品信息：{{keyword3.DATA}}\n{{remark.DATA}}",
        "example": LIBRARY["TM00015"].example_text,
    }  # fmt: skip
    user, openid, chat = await follower(kit, row)
    body = notice(openid, paid, first="We have your payment", keyword1="A-1041", keyword2="30.00元", colour="blue")
    sent = await kit.platform.templates.send(row, body | {"url": "https://shop.example.org/orders/A-1041"})
    assert sent["errcode"] == 0 and sent["msgid"] > 0
    assert await received(kit, user, chat) == [
        "订单支付成功\nWe have your payment\n订单号：A-1041\n支付金额：30.00元\n商品信息：\n"
        "https://shop.example.org/orders/A-1041"
    ]
    await kit.platform.templates.delete(row, {"template_id": paid})
    assert [t["template_id"] for t in (await kit.platform.templates.private(row))["template_list"]] == [parcel, again]
    with pytest.raises(WeChatError) as refused:
        await kit.platform.templates.send(row, body)
    assert refused.value.errcode == 40037


async def test_a_template_with_some_of_its_keywords(kit: Kit) -> None:
    row = await account(kit)
    picked = await add(kit, row, keyword_name_list=["商品信息", "订单号"])
    (listed,) = (await kit.platform.templates.private(row))["template_list"]
    assert (
        listed["content"] == "{{first.DATA}}\n商品信息：{{keyword1.DATA}}\n订单号：{{keyword2.DATA}}\n{{remark.DATA}}"
    )
    user, openid, chat = await follower(kit, row)
    await kit.platform.templates.send(row, notice(openid, picked, keyword1="帆布包", keyword2="A-1041",
                                                  keyword3="ignored"))  # fmt: skip
    assert await received(kit, user, chat) == ["订单支付成功\n商品信息：帆布包\n订单号：A-1041"]


async def test_the_webhook_hears_how_each_send_ended(kit: Kit) -> None:
    row = await account(kit)
    await with_webhook(kit, row)
    template = await add(kit, row)
    reader, reader_openid, chat = await follower(kit, row)
    quiet, quiet_openid, quiet_chat = await follower(kit, row)
    await kit.chats.set_prefs(quiet, quiet_chat, muted=True, pinned=None)
    delivered = await kit.platform.templates.send(row, notice(reader_openid, template, first="yours"))
    silent = await kit.platform.templates.send(row, notice(quiet_openid, template, first="still here"))
    assert delivered["msgid"] != silent["msgid"] and silent["errcode"] == 0
    assert await received(kit, reader, chat) == ["订单支付成功\nyours\n订单号：\n支付金额：\n商品信息："]
    # mute silences notifications, never loses a message: the muted follower has it too
    assert await received(kit, quiet, quiet_chat) == ["订单支付成功\nstill here\n订单号：\n支付金额：\n商品信息："]
    got = [(r["FromUserName"], r["MsgType"], r["Event"], r["MsgID"], r["Status"]) for r in await reports(kit)]
    assert got == [
        (reader_openid, "event", "TEMPLATESENDJOBFINISH", delivered["msgid"], "success"),
        (quiet_openid, "event", "TEMPLATESENDJOBFINISH", silent["msgid"], "success"),
    ]


async def test_a_follower_gets_ten_notices_a_day_from_one_account(kit: Kit) -> None:
    row, other = await account(kit), await account(kit)
    template, theirs = await add(kit, row), await add(kit, other)
    user, openid, chat = await follower(kit, row)
    _, second_openid, _ = await follower(kit, row)
    for n in range(10):
        await kit.platform.templates.send(row, notice(openid, template, first=f"notice {n}"))
    before = kit.dump()
    with pytest.raises(WeChatError) as refused:
        await kit.platform.templates.send(row, notice(openid, template, first="the 11th"))
    assert refused.value.errcode == 45009 and kit.dump() == before
    await kit.platform.templates.send(row, notice(second_openid, template))  # another follower: their own count
    await kit.platform.follow(user, other["id"])
    their_openid = (await kit.db.read(store.follow, other["id"], user.user_id))["openid"]
    await kit.platform.templates.send(other, notice(their_openid, theirs))  # another account: its own count
    kit.clock.advance(8641)  # a tenth of a day later, one more
    await kit.platform.templates.send(row, notice(openid, template, first="a day's tenth later"))
    with pytest.raises(WeChatError):
        await kit.platform.templates.send(row, notice(openid, template))
    assert len(await received(kit, user, chat)) == 11


async def test_industries_change_once_a_month_and_take_their_templates_along(kit: Kit) -> None:
    row = await account(kit, industries=(1, 2))  # the first choice is free:
    await kit.platform.templates.set_industry(row, {"industry_id1": 1, "industry_id2": 13})  # this is the change
    paid, _ = await add(kit, row), await add(kit, row, "TM00501")
    await kit.platform.templates.set_industry(row, {"industry_id1": "1", "industry_id2": "13"})  # the same: nothing
    kit.clock.advance(31 * 86400)
    await kit.platform.templates.set_industry(row, {"industry_id1": 7, "industry_id2": 1})
    assert (await kit.platform.templates.get_industry(row))["primary_industry"]["second_class"] == "银行"
    assert [t["template_id"] for t in (await kit.platform.templates.private(row))["template_list"]] == [paid]
    with pytest.raises(WeChatError) as refused:
        await kit.platform.templates.set_industry(row, {"industry_id1": 1, "industry_id2": 2})
    assert refused.value.errcode == 43100


async def test_an_account_without_industries_answers_empty_names(kit: Kit) -> None:
    row = await account(kit, industries=None)
    empty = {"first_class": "", "second_class": ""}
    assert await kit.platform.templates.get_industry(row) == {"primary_industry": empty, "secondary_industry": empty}
    assert await kit.platform.templates.private(row) == {"template_list": []}


# -- the renderer ------------------------------------------------------------------------------------

PAID = LIBRARY["TM00015"]
RENDERED: list[tuple[str, dict[str, Any], str]] = [
    ("every field", {"first": {"value": "Paid"}, "keyword1": {"value": "A-1"}, "keyword2": {"value": "30元"},
                     "keyword3": {"value": "a bag"}, "remark": {"value": "Thanks"}},
     "订单支付成功\nPaid\n订单号：A-1\n支付金额：30元\n商品信息：a bag\nThanks"),
    ("keys it lacks are ignored", {"keyword1": {"value": "A-1"}, "keyword9": {"value": "x"}, "colour": "red"},
     "订单支付成功\n订单号：A-1\n支付金额：\n商品信息："),
    ("missing keys are blank, an empty first and remark leave no line", {"first": {"value": ""}},
     "订单支付成功\n订单号：\n支付金额：\n商品信息："),
    ("a value is never read as a placeholder", {"keyword1": {"value": "{{keyword2.DATA}}"},
                                               "keyword2": {"value": "30元"}},
     "订单支付成功\n订单号：{{keyword2.DATA}}\n支付金额：30元\n商品信息："),
    ("numbers are values", {"keyword2": {"value": 30}}, "订单支付成功\n订单号：\n支付金额：30\n商品信息："),
    ("values are cut", {"keyword1": {"value": "x" * 1000}},
     f"订单支付成功\n订单号：{'x' * templates.MAX_VALUE}\n支付金额：\n商品信息："),
]  # fmt: skip


@pytest.mark.parametrize(("case", "data", "shown"), RENDERED, ids=[c[0] for c in RENDERED])
def test_what_a_follower_sees(case: str, data: dict[str, Any], shown: str) -> None:
    assert render(PAID, data) == shown


def test_the_library_is_wechats_shape() -> None:
    assert len(templates.INDUSTRIES) == 41 and templates.INDUSTRIES[13].second_class == "快递"
    assert len(LIBRARY) >= 12
    for template in LIBRARY.values():
        assert templates.SHORT_ID.match(template.short_id) and template.industry in templates.INDUSTRIES
        assert template.content.startswith("{{first.DATA}}\n") and template.content.endswith("\n{{remark.DATA}}")
        assert len(template.example) == len(template.keywords) + 2
        assert templates.added(template.stored) == template
