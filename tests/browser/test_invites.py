"""Invite links in the browser: a person's link makes two strangers friends once the inviter accepts;
a group's link joins the group, and stops working once revoked or expired.

Expiry: a link works for at least a minute and the server has no clock to move, so the test makes a
link of an hour and moves its expiry into the past in the server's SQLite file (the service's own
expiry arithmetic is tested with a fake clock in tests/chats/test_group_links.py).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable

from helpers import Server
from kithweb import PHONE, Api, App
from playwright.sync_api import expect

DEAD = "This invite link does not work"
NOT_FOUND = r"status of 404"  # the console's line for the same answer


def qr_loaded(app: App) -> None:
    qr = app.page.locator("img.qr-code")
    expect(qr).to_be_visible()
    app.page.wait_for_function(
        "() => { const i = document.querySelector('img.qr-code'); return i && i.complete && i.naturalWidth > 0; }"
    )


def test_a_personal_link_makes_strangers_friends_after_consent(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, carol = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("carol", "Carol Díaz"),
    )
    a = new_app("alice").signed_in_as(alice, "me")
    a.page.get_by_role("link", name="My invite link").click()
    qr_loaded(a)
    url = a.page.locator(".invite-url").inner_text()
    token = url.rsplit("/", 1)[1]
    assert url == f"{a.base_url}/#/invite/{token}"
    a.screenshot("my-invite-link")

    # Bob, a stranger, opens it on his phone: a card with her name, not her handle
    b = new_app("bob", viewport=PHONE).signed_in_as(bob, f"invite/{token}")
    card = b.page.locator(".invite-card")
    expect(card.locator(".invite-name")).to_have_text("Alice Chen")
    expect(b.page.get_by_role("button", name="Add friend")).to_be_visible()
    assert alice.handle not in b.page.locator("main").inner_text()
    b.screenshot("invite-card-phone")
    b.page.get_by_label("Greeting").fill("We met at the climbing wall")
    b.page.get_by_role("button", name="Add friend").click()
    expect(b.page.get_by_text("You asked to be friends.")).to_be_visible()
    assert api.call(bob, "GET", "/friends")["friends"] == []  # not before she accepts

    # Alice accepts as any request
    expect(a.tab_badge("contacts")).to_have_text("1")
    a.tab("Contacts")
    a.page.get_by_role("link", name=re.compile("New friends")).click()
    request = a.page.locator(".request", has_text="Bob Martin")
    expect(request).to_contain_text("We met at the climbing wall")
    request.get_by_role("button", name="Accept").click()
    expect(a.page.get_by_text("No friend requests")).to_be_visible()
    assert [f["user"]["id"] for f in api.call(bob, "GET", "/friends")["friends"]] == [alice.id]
    b.reload()
    expect(b.page.get_by_text("You are already friends.")).to_be_visible()

    # signed out, the link waits for signing in; once Alice makes a new link the old one is dead
    c = new_app("carol").open(f"invite/{token}")
    c.sign_in(carol.handle)
    expect(c.page.locator(".invite-card .invite-name")).to_have_text("Alice Chen")
    a.tab("Me")
    a.page.get_by_role("link", name="My invite link").click()
    qr_loaded(a)
    a.page.get_by_role("button", name="New link").click()
    a.page.get_by_role("dialog", name="Make a new invite link?").get_by_role("button", name="New link").click()
    expect(a.page.locator(".invite-url")).not_to_have_text(url)
    with c.watch.expect_problems(r"HTTP 404: POST .*/invite-links/open", NOT_FOUND):
        c.reload()
        expect(c.page.get_by_text(DEAD)).to_be_visible()


def expire(server: Server, link_id: int) -> None:
    """Move a group link's expiry into the past, as the clock would (see the module's docstring)."""
    with sqlite3.connect(server.db_path, timeout=10) as db:
        db.execute("UPDATE group_links SET expires_at = ? WHERE id = ?", (int(time.time() * 1000) - 1000, link_id))


def test_a_group_link_joins_and_fails_once_revoked_or_expired(
    new_app: Callable[..., App], api: Api, kith: Server
) -> None:
    alice, bob, carol, dan = (
        api.register("alice", "Alice Chen"),
        api.register("bob", "Bob Martin"),
        api.register("carol", "Carol Díaz"),
        api.register("dan", "Dan Okafor"),
    )
    api.befriend(alice, bob)
    group = api.group(alice, "Hikers", [bob])
    api.say(alice, group, "Only for those already here")
    a = new_app("alice").signed_in_as(alice, f"chats/{group}")
    a.page.get_by_role("button", name="Chat info").first.click()
    a.page.get_by_role("dialog", name="Group info").get_by_role("button", name="Invite link").click()
    invites = a.page.get_by_role("dialog", name="Invite links")
    invites.get_by_role("button", name="Create link").click()
    qr_loaded(a)
    url = invites.locator(".invite-url").inner_text()
    token = url.rsplit("/", 1)[1]
    assert url == f"{a.base_url}/#/join/{token}"
    expect(invites.locator(".invite-item")).to_have_count(1)
    a.screenshot("group-invite-links")
    [made] = api.call(alice, "GET", f"/conversations/{group}/invite-links")["links"]
    assert (made["expires_at"] - made["created_at"], made["max_uses"]) == (7 * 86400_000, None)  # the defaults

    # Carol, who knows nobody there, joins by it: no history from before, a notice for everyone
    c = new_app("carol", viewport=PHONE).signed_in_as(carol, f"join/{token}")
    expect(c.page.locator(".invite-card .invite-name")).to_have_text("Hikers")
    expect(c.page.locator(".invite-card")).to_contain_text("2 members")
    c.screenshot("join-card-phone")
    c.page.get_by_role("button", name="Join group").click()
    expect(c.page.locator(".chat-title")).to_have_text("Hikers")
    expect(c.log.get_by_text("You joined by Alice Chen\u2019s invite link")).to_be_visible()
    expect(c.message("Only for those already here")).to_have_count(0)
    expect(a.log.get_by_text("Carol Díaz joined by your invite link")).to_be_visible()

    # revoked: Dan gets the dead-link page
    invites.get_by_role("button", name="Revoke").click()
    a.page.get_by_role("dialog", name="Revoke this invite link?").get_by_role("button", name="Revoke").click()
    expect(invites.get_by_text("No invite links yet.")).to_be_visible()
    d = new_app("dan")
    with d.watch.expect_problems(r"HTTP 404: POST .*/group-links/open", NOT_FOUND):
        d.signed_in_as(dan, f"join/{token}")
        expect(d.page.get_by_text(DEAD)).to_be_visible()

    # expired: the same
    invites.get_by_label("Works for").select_option(label="1 hour")
    invites.get_by_label("Who can join by it").select_option(label="5 people")
    invites.get_by_role("button", name="Create link").click()
    expect(invites.locator(".invite-item")).to_have_count(1)
    fresh = invites.locator(".invite-url").inner_text().rsplit("/", 1)[1]
    assert fresh != token
    [link] = api.call(alice, "GET", f"/conversations/{group}/invite-links")["links"]
    assert (link["expires_at"] - link["created_at"], link["max_uses"]) == (3600_000, 5)
    expire(kith, link["id"])
    with d.watch.expect_problems(r"HTTP 404: POST .*/group-links/open", NOT_FOUND):
        d.page.goto(f"{d.base_url}/#/join/{fresh}")
        expect(d.page.get_by_text(DEAD)).to_be_visible()
    assert [m["user"]["id"] for m in api.call(alice, "GET", f"/conversations/{group}/members")["members"]] == [
        alice.id, bob.id, carol.id,
    ]  # fmt: skip


def test_invite_links_and_where_they_lead_in_chinese(new_app: Callable[..., App], api: Api) -> None:
    lin, wang, zhao = api.register("lin", "小林"), api.register("wang", "小王"), api.register("zhao", "小赵")
    api.befriend(lin, zhao)
    group = api.group(lin, "读书会", [zhao])
    link = api.call(lin, "GET", "/me/invite-link")
    token = link["url"].rsplit("/", 1)[1]
    joining = api.call(lin, "POST", f"/conversations/{group}/invite-links", json={"expires_in": 3600})
    join_token = joining["url"].rsplit("/", 1)[1]
    url = r"https?://\S+"

    # Me → My invite link: what it is, its QR code, a new one
    a = new_app("lin", locale="zh-CN").signed_in_as(lin, "me/invite")
    qr_loaded(a)
    expect(a.page.get_by_role("img", name="你的邀请链接二维码")).to_be_visible()
    assert a.untranslated(url, within="#main") == []
    a.page.get_by_role("button", name="重置链接").click()
    ask = a.page.get_by_role("dialog", name="重置邀请链接？")
    assert a.untranslated(within="dialog.confirm") == []
    ask.get_by_role("button", name="取消").click()

    # 小王, a stranger, opens it: a card, a greeting in his name, a request
    w = new_app("wang", viewport=PHONE, locale="zh-CN").signed_in_as(wang, f"invite/{token}")
    page = w.page
    expect(page.get_by_role("heading", name="邀请")).to_be_visible()
    expect(page.locator(".invite-page")).to_contain_text("邀请你成为 kith 上的朋友。")
    expect(page.get_by_label("打招呼的话")).to_have_value("你好，我是小王")
    assert w.untranslated(within="#main") == []
    w.screenshot("zh-invite-card-phone")
    page.get_by_role("button", name="添加朋友").click()
    expect(page.locator(".toast", has_text="好友申请已发送。")).to_be_visible()
    expect(page.locator(".invite-page")).to_contain_text("你已申请加为朋友。")
    assert w.untranslated(within="#main") == []
    assert w.untranslated(within="#toasts") == []

    # the group's link: its card, and joining
    page.goto(f"{w.base_url}/#/join/{join_token}")
    expect(page.get_by_role("heading", name="群聊邀请")).to_be_visible()
    expect(page.locator(".invite-card")).to_contain_text("2 位成员")
    assert w.untranslated(within="#main") == []
    page.get_by_role("button", name="加入群聊").click()
    expect(page.locator(".chat-title")).to_have_text("读书会")

    # a link that no longer works
    api.call(lin, "DELETE", f"/conversations/{group}/invite-links/{joining['id']}")
    with w.watch.expect_problems(r"HTTP 404: POST .*/group-links/open", NOT_FOUND):
        page.goto(f"{w.base_url}/#/join/{join_token}")
        expect(page.get_by_role("heading", name="此邀请链接无效")).to_be_visible()
    assert w.untranslated(within="#main") == []
