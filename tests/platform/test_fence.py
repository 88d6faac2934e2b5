"""The fence around official accounts, in-process with a clock the test moves: the customer-service
window, token lifetimes, and the mass-send quotas, each able to fail on its own."""

from __future__ import annotations

from typing import Any

import pytest
from domain import Kit

from kith.accounts.models import Caller
from kith.errors import NotFound
from kith.platform import service as platform_service
from kith.platform.models import WeChatError
from kith.storage.database import Row


async def account(kit: Kit, kind: str = "subscription") -> tuple[Caller, Row]:
    owner = await kit.user()
    created = await kit.platform.create_account(owner, f"Account {owner.user_id}", kind, "")
    row = await kit.db.read(lambda tx: tx.one("SELECT * FROM official_accounts WHERE id = ?", (created.account.id,)))
    return owner, row


async def follower(kit: Kit, row: Row) -> tuple[Caller, str, int]:
    user = await kit.user()
    followed = await kit.platform.follow(user, row["id"])
    openid = await kit.db.read(
        lambda tx: tx.value(
            "SELECT openid FROM follows WHERE account_id = ? AND user_id = ?", (row["id"], user.user_id)
        )
    )
    return user, openid, followed["conversation_id"]


def text(openid: str, content: str) -> dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


async def errcode(call: Any) -> int:
    with pytest.raises(WeChatError) as refused:
        await call
    return refused.value.errcode


async def received(kit: Kit, user: Caller, conversation_id: int) -> list[str]:
    history = await kit.chats.history(user, conversation_id, None, None, 200)
    return [m.text for m in history["messages"] if m.sender_id is None and m.kind == "text"]


async def drain(kit: Kit) -> None:
    while await kit.outbox.drain_once():
        pass


async def test_the_window_a_follow_opens_is_a_minute_and_three_sends(kit: Kit) -> None:
    _, row = await account(kit)
    user, openid, chat = await follower(kit, row)
    for n in range(3):
        await kit.platform.custom_send(row, text(openid, f"hello {n}"))
    assert await errcode(kit.platform.custom_send(row, text(openid, "a 4th"))) == 45047
    _, other, _ = await follower(kit, row)
    kit.clock.advance(61)
    assert await errcode(kit.platform.custom_send(row, text(other, "too late"))) == 45015
    assert await received(kit, user, chat) == ["hello 0", "hello 1", "hello 2"]


async def test_a_message_opens_48_hours_and_five_sends(kit: Kit) -> None:
    _, row = await account(kit)
    user, openid, chat = await follower(kit, row)
    kit.clock.advance(120)  # the follow's minute is over
    await kit.chats.send(user, chat, "m1", "when do you open?")
    kit.clock.advance(47 * 3600)
    for n in range(5):
        await kit.platform.custom_send(row, text(openid, f"answer {n}"))
    assert await errcode(kit.platform.custom_send(row, text(openid, "a 6th"))) == 45047
    await kit.chats.send(user, chat, "m2", "thanks!")  # a new message opens a new window
    await kit.platform.custom_send(row, text(openid, "you're welcome"))
    kit.clock.advance(48 * 3600)
    assert await errcode(kit.platform.custom_send(row, text(openid, "two days later"))) == 45015


async def test_tokens_expire_and_a_new_secret_ends_the_old_ones(kit: Kit) -> None:
    owner, row = await account(kit)
    secret = (await kit.platform.reset_secret(owner, row["id"])).app_secret
    token = (await kit.platform.issue_token(row["app_id"], secret, "client_credential"))["access_token"]
    assert (await kit.platform.by_token(token))["id"] == row["id"]
    kit.clock.advance(7199)
    assert (await kit.platform.by_token(token))["id"] == row["id"]
    kit.clock.advance(2)
    assert await errcode(kit.platform.by_token(token)) == 42001
    fresh = (await kit.platform.issue_token(row["app_id"], secret, "client_credential"))["access_token"]
    await kit.platform.reset_secret(owner, row["id"])
    assert await errcode(kit.platform.by_token(fresh)) == 40014
    assert await errcode(kit.platform.issue_token(row["app_id"], secret, "client_credential")) == 40125


async def test_a_subscription_account_mass_sends_once_a_day(kit: Kit) -> None:
    _, row = await account(kit, "subscription")
    user, _, chat = await follower(kit, row)
    body = {"msgtype": "text", "text": {"content": "today's news"}}
    await kit.platform.mass_send(row, body, None)
    assert await errcode(kit.platform.mass_send(row, body, None)) == 45028
    await drain(kit)
    kit.clock.advance(86400)
    await kit.platform.mass_send(row, {"msgtype": "text", "text": {"content": "tomorrow's"}}, None)
    await drain(kit)
    assert await received(kit, user, chat) == ["today's news", "tomorrow's"]


async def test_a_service_accounts_followers_get_four_mass_messages_a_month(kit: Kit, monkeypatch: Any) -> None:
    monkeypatch.setattr(platform_service, "MASS_BATCH", 2)  # several batches with a few followers
    _, row = await account(kit, "service")
    followers = [await follower(kit, row) for _ in range(5)]
    for n in range(5):
        await kit.platform.mass_send(row, {"msgtype": "text", "text": {"content": f"issue {n}"}}, None)
    await drain(kit)
    for user, _, chat in followers:  # which four is the fan-outs' order (on PostgreSQL they run at once)
        got = await received(kit, user, chat)
        assert len(got) == len(set(got)) == 4 and set(got) <= {f"issue {n}" for n in range(5)}, got
    masses = await kit.db.read(lambda tx: tx.all("SELECT sent, filtered, finished_at FROM mass_sends ORDER BY id"))
    assert sum(m["sent"] for m in masses) == 20 and sum(m["filtered"] for m in masses) == 5
    assert all(m["finished_at"] is not None for m in masses)
    # to a list: only those openids, and only followers
    late, late_openid, late_chat = await follower(kit, row)
    kit.clock.advance(31 * 86400)  # a new month
    await kit.platform.mass_send(row, {"msgtype": "text", "text": {"content": "to you"}}, [late_openid, "o" * 28])
    await drain(kit)
    assert await received(kit, late, late_chat) == ["to you"]
    assert "to you" not in await received(kit, followers[0][0], followers[0][2])


async def test_an_unfollowed_account_sends_nothing(kit: Kit) -> None:
    _, row = await account(kit, "service")
    user, openid, chat = await follower(kit, row)
    await kit.platform.unfollow(user, row["id"])
    assert await errcode(kit.platform.custom_send(row, text(openid, "hello?"))) == 43004
    await kit.platform.mass_send(row, {"msgtype": "text", "text": {"content": "everyone"}}, None)
    await drain(kit)
    assert await received(kit, user, chat) == []


async def test_a_qr_code_follows_until_it_expires(kit: Kit) -> None:
    _, row = await account(kit)
    temporary = await kit.platform.qr_create(
        row, {"expire_seconds": 120, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 7}}}, "https://k"
    )
    assert temporary["expire_seconds"] == 120 and temporary["url"].endswith(temporary["ticket"])
    reader, late = await kit.user(), await kit.user()
    followed = await kit.platform.scan(reader, temporary["ticket"])
    assert followed["account"].following and (await kit.platform.scan(reader, temporary["ticket"]))["account"]
    kit.clock.advance(121)
    with pytest.raises(NotFound):
        await kit.platform.scan(late, temporary["ticket"])
    permanent = await kit.platform.qr_create(
        row, {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "poster"}}}, "https://k"
    )
    kit.clock.advance(365 * 86400)
    assert (await kit.platform.scan(late, permanent["ticket"]))["account"].following
    for bad in ({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100_001}}},
                {"action_name": "QR_SCENE", "expire_seconds": 31 * 86400, "action_info": {"scene": {"scene_id": 1}}},
                {"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": ""}}},
                {"action_name": "QR_EVERYTHING", "action_info": {}}):  # fmt: skip
        assert await errcode(kit.platform.qr_create(row, bad, "https://k")) == 40035


async def test_a_deleted_follower_can_no_longer_be_reached(kit: Kit) -> None:
    _, row = await account(kit, "service")
    user, openid, _ = await follower(kit, row)
    await kit.deletion.delete(user.user_id)
    assert await errcode(kit.platform.custom_send(row, text(openid, "still there?"))) == 43004
    assert (await kit.platform.followers(row, ""))["total"] == 0
