"""Abuse limits over HTTP: sign-in throttling, per-address, per-user and per-device rate limits
(429 with Retry-After and the JSON error shape), and the password policy.

The tests' servers exempt loopback clients from the per-address limits (``rate_limit_exempt`` in
helpers.FAST_ENV), so these servers trust 127.0.0.1 as a reverse proxy and each test client names its address in
X-Forwarded-For (documentation addresses, 203.0.113.0/24): the same path a deployment behind a
proxy takes.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

import httpx
from helpers import PASSWORD, Server, befriend, register

from kith.ratelimit.base import address_key as ratelimit_key

PROXIED = {"KITH_TRUSTED_PROXIES": "127.0.0.1"}


def client(server: Server, ip: str | None = None, token: str | None = None) -> httpx.AsyncClient:
    headers = {"X-Forwarded-For": ip} if ip else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(base_url=server.url + "/api/v1", headers=headers, timeout=60)


def assert_limited(response: httpx.Response) -> int:
    """A 429 in the documented shape; returns its Retry-After."""
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"]
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1 and error["retry_after"] == retry_after
    return retry_after


def sign_in_body(handle: str, password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
    return {"handle": handle, "password": password, **extra}


def device_key() -> str:
    return secrets.token_urlsafe(32)


# -- sign-in throttling ------------------------------------------------------------------------


async def test_concurrent_wrong_passwords_are_counted_before_they_are_checked(server: Server) -> None:
    alice = await register(server)
    async with client(server) as anon:
        burst = await asyncio.gather(
            *(anon.post("/sessions", json=sign_in_body(alice.handle, f"wrong guess {i}")) for i in range(40))
        )
        statuses = sorted(r.status_code for r in burst)
        assert statuses.count(401) <= 10 and statuses.count(429) >= 30, statuses
        assert_limited(await anon.post("/sessions", json=sign_in_body(alice.handle)))  # even the right one waits
    await alice.aclose()


async def test_a_device_that_signed_in_before_is_not_locked_out_by_a_stranger(server: Server) -> None:
    key = device_key()
    async with client(server) as anon:
        signed_up = await anon.post(
            "/accounts", json={"handle": "locked_alice", "display_name": "A", "password": PASSWORD, "device_key": key}
        )
        assert signed_up.status_code == 201, signed_up.text
        laptop_key = device_key()
        laptop = await anon.post("/sessions", json=sign_in_body("locked_alice", device_key=laptop_key))
        assert laptop.status_code == 201
        # a stranger who knows only the handle
        await asyncio.gather(*(anon.post("/sessions", json=sign_in_body("locked_alice", "guess")) for _ in range(20)))
        assert_limited(await anon.post("/sessions", json=sign_in_body("locked_alice")))
        assert_limited(await anon.post("/sessions", json=sign_in_body("locked_alice", device_key=device_key())))
        # the owner's phone and laptop still get in with the right password
        for known in (key, laptop_key):
            again = await anon.post("/sessions", json=sign_in_body("locked_alice", device_key=known))
            assert again.status_code == 201, again.text
        # a known key has a budget of its own: guessing with it pauses it, not the other one
        for _ in range(10):
            assert (
                await anon.post("/sessions", json=sign_in_body("locked_alice", "nope", device_key=key))
            ).status_code == 401
        assert_limited(await anon.post("/sessions", json=sign_in_body("locked_alice", device_key=key)))
        assert (
            await anon.post("/sessions", json=sign_in_body("locked_alice", device_key=laptop_key))
        ).status_code == 201
        bad = await anon.post("/sessions", json=sign_in_body("locked_alice", device_key="short"))
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "device_key"
    # only digests are stored
    stored = server.rows("SELECT key_hash FROM sign_in_keys")
    assert len(stored) == 2
    assert all(key.encode() not in bytes(row[0]) for row in stored)


# -- per-address limits ---------------------------------------------------------------------------


async def test_sign_ins_per_address(make_server: Callable[..., Server]) -> None:
    server = make_server({**PROXIED, "KITH_RATE_SIGN_IN_IP": "5/60"})
    alice = await register(server)
    async with client(server, "203.0.113.7") as spray, client(server, "203.0.113.8") as other:
        for i in range(5):  # five different handles: the per-handle count never pauses
            assert (await spray.post("/sessions", json=sign_in_body(f"someone{i}", "guess"))).status_code == 401
        retry_after = assert_limited(await spray.post("/sessions", json=sign_in_body(alice.handle)))
        assert retry_after <= 12
        assert (await other.post("/sessions", json=sign_in_body(alice.handle))).status_code == 201
    async with client(server) as local:  # loopback itself is exempt by default
        assert (await local.post("/sessions", json=sign_in_body(alice.handle))).status_code == 201
    await alice.aclose()


async def test_sign_ups_per_address(make_server: Callable[..., Server]) -> None:
    server = make_server({**PROXIED, "KITH_RATE_SIGN_UP_IP": "3/3600"})
    async with client(server, "203.0.113.9, 198.51.100.1") as bot:  # the proxy appended the real peer
        for i in range(3):
            body = {"handle": f"bot{i}", "display_name": "Bot", "password": PASSWORD}
            assert (await bot.post("/accounts", json=body)).status_code == 201
        body = {"handle": "bot9", "display_name": "Bot", "password": PASSWORD}
        assert assert_limited(await bot.post("/accounts", json=body)) > 600
    assert server.rows("SELECT COUNT(*) FROM users WHERE handle = ?", "bot9") == [(0,)]
    async with client(server, "203.0.113.9") as spoofed:  # only the last hop counts
        assert (await spoofed.post("/accounts", json=body)).status_code == 201


async def test_by_default_loopback_is_limited_like_any_address(make_server: Callable[..., Server]) -> None:
    # a reverse proxy on the same host that nobody named in trusted_proxies must not lift the limits
    server = make_server({"KITH_RATE_LIMIT_EXEMPT": "", "KITH_RATE_SIGN_UP_IP": "2/3600"})
    async with client(server) as local:
        for i in range(2):
            body = {"handle": f"local{i}", "display_name": "Local", "password": PASSWORD}
            assert (await local.post("/accounts", json=body)).status_code == 201
        assert_limited(await local.post("/accounts", json={**body, "handle": "local9"}))


def test_ipv6_clients_are_counted_by_their_64_bit_prefix() -> None:
    # a host hands itself any address of its /64: all of them are one client
    assert ratelimit_key("2001:db8:1:2:aaaa::1") == ratelimit_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert ratelimit_key("2001:db8:1:3::1") != ratelimit_key("2001:db8:1:2::1")
    assert ratelimit_key("203.0.113.9") == "203.0.113.9"


# -- per-user and per-device limits ------------------------------------------------------------


async def test_friend_requests_groups_devices_and_sends_per_user(make_server: Callable[..., Server]) -> None:
    server = make_server(
        {
            "KITH_RATE_FRIEND_REQUEST_USER": "3/3600",
            "KITH_RATE_GROUP_USER": "2/600",
            "KITH_RATE_NEW_DEVICE_USER": "2/3600",
            "KITH_RATE_SEND_USER": "4/60",
            "KITH_RATE_SEND_DEVICE": "off",
        }
    )
    alice, bob, carol, dave, erin = [await register(server) for _ in range(5)]
    for other in (bob, carol, dave):
        await alice.ok("POST", "/friend-requests", json={"handle": other.handle})
    assert_limited(await alice.call("POST", "/friend-requests", json={"handle": erin.handle}))
    assert server.rows("SELECT COUNT(*) FROM friend_requests WHERE to_id = ?", erin.id) == [(0,)]
    await befriend(erin, alice)  # someone else's request is not alice's budget

    for i in range(2):
        await alice.ok("POST", "/conversations/groups", json={"name": f"g{i}", "user_ids": [erin.id]})
    assert_limited(await alice.call("POST", "/conversations/groups", json={"name": "g3", "user_ids": [erin.id]}))

    phone = await alice.new_device("phone")
    laptop = await alice.new_device("laptop")
    async with client(server) as anon:
        assert_limited(await anon.post("/sessions", json=sign_in_body(alice.handle)))

    [(chat,)] = server.rows("SELECT id FROM conversations WHERE name = ?", "g0")
    for i, device in enumerate((alice, phone, laptop, alice)):  # four sends over three devices
        await device.ok("POST", f"/conversations/{chat}/messages", json={"id": f"m{i}", "text": "hi"})
    assert_limited(await phone.call("POST", f"/conversations/{chat}/messages", json={"id": "m9", "text": "hi"}))
    await erin.ok("POST", f"/conversations/{chat}/messages", json={"id": "e1", "text": "erin has her own"})
    for user in (alice, bob, carol, dave, erin, phone, laptop):
        await user.aclose()


async def test_sends_per_device(make_server: Callable[..., Server]) -> None:
    server = make_server({"KITH_RATE_SEND_DEVICE": "3/30"})
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    chat = (await alice.ok("POST", "/conversations/direct", json={"user_id": bob.id}))["id"]
    for i in range(3):
        await alice.ok("POST", f"/conversations/{chat}/messages", json={"id": f"a{i}", "text": "hi"})
    retry_after = assert_limited(
        await alice.call("POST", f"/conversations/{chat}/messages", json={"id": "a3", "text": "hi"})
    )
    assert retry_after <= 10
    await bob.ok("POST", f"/conversations/{chat}/messages", json={"id": "b0", "text": "bob is not limited"})
    await alice.aclose()
    await bob.aclose()


# -- password policy ------------------------------------------------------------------------------


async def test_common_passwords_are_refused_with_a_reason(server: Server) -> None:
    async with client(server) as anon:
        for weak in ("12345678", "password", "password123"):
            refused = await anon.post("/accounts", json={"handle": "weakling", "display_name": "W", "password": weak})
            assert refused.status_code == 400, refused.text
            error = refused.json()["error"]
            assert error["code"] == "weak_password" and error["field"] == "password"
            assert "common" in error["message"]
        assert server.rows("SELECT COUNT(*) FROM users") == [(0,)]
    alice = await register(server)
    weak = await alice.call("POST", "/me/password", json={"old_password": PASSWORD, "new_password": "qwerty123"})
    assert weak.status_code == 400 and weak.json()["error"]["code"] == "weak_password"
    await alice.aclose()
