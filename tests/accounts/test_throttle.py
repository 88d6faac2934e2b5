"""Failed sign-ins pause a handle for a while; a success or the passing window lifts the pause."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from typing import Any

import pytest
from domain import PASSWORD, Kit

from kith.accounts.passwords import Passwords
from kith.errors import RateLimited, Unauthenticated


async def test_ten_failures_pause_the_handle_then_time_lifts_it(kit: Kit) -> None:
    await kit.accounts.register("mallory_target", "Target", PASSWORD)
    for _ in range(10):
        with pytest.raises(Unauthenticated):
            await kit.accounts.sign_in("mallory_target", "guess-guess")
    with pytest.raises(RateLimited) as paused:
        await kit.accounts.sign_in("mallory_target", PASSWORD)  # even the right password waits
    assert 0 < paused.value.fields["retry_after"] <= 900
    kit.clock.advance(paused.value.fields["retry_after"])
    session = await kit.accounts.sign_in("MALLORY_TARGET", PASSWORD)
    assert session.user.handle == "mallory_target"


async def test_a_success_resets_the_count_and_other_handles_are_unaffected(kit: Kit) -> None:
    await kit.accounts.register("alice", "Alice", PASSWORD)
    await kit.accounts.register("bob", "Bob", PASSWORD)
    for _ in range(9):
        with pytest.raises(Unauthenticated):
            await kit.accounts.sign_in("alice", "nope-nope")
    await kit.accounts.sign_in("alice", PASSWORD)
    for _ in range(9):
        with pytest.raises(Unauthenticated):
            await kit.accounts.sign_in("alice", "nope-nope")
    await kit.accounts.sign_in("alice", PASSWORD)
    await kit.accounts.sign_in("bob", PASSWORD)


async def test_unknown_handles_are_throttled_the_same_way(kit: Kit) -> None:
    for _ in range(10):
        with pytest.raises(Unauthenticated):
            await kit.accounts.sign_in("nobody_here", "whatever1")
    with pytest.raises(RateLimited):
        await kit.accounts.sign_in("nobody_here", "whatever1")


async def test_concurrent_attempts_are_counted_before_the_password_is_checked(kit: Kit) -> None:
    await kit.accounts.register("burst_target", "Target", PASSWORD)
    results = await asyncio.gather(
        *(kit.accounts.sign_in("burst_target", f"guess {i}") for i in range(40)), return_exceptions=True
    )
    assert sum(isinstance(r, Unauthenticated) for r in results) == 10
    assert sum(isinstance(r, RateLimited) for r in results) == 30
    with pytest.raises(RateLimited):
        await kit.accounts.sign_in("burst_target", PASSWORD)


async def test_a_known_sign_in_key_has_its_own_budget(kit: Kit) -> None:
    phone, laptop = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    await kit.accounts.register("keyed", "Keyed", PASSWORD, device_key=phone)
    await kit.accounts.sign_in("keyed", PASSWORD, device_key=laptop)
    for _ in range(10):
        with pytest.raises(Unauthenticated):
            await kit.accounts.sign_in("keyed", "stranger guess")
    with pytest.raises(RateLimited):
        await kit.accounts.sign_in("keyed", PASSWORD, device_key=secrets.token_urlsafe(24))  # never signed in
    assert (await kit.accounts.sign_in("keyed", PASSWORD, device_key=phone)).user.handle == "keyed"
    for _ in range(10):
        with pytest.raises(Unauthenticated):
            await kit.accounts.sign_in("keyed", "own typo", device_key=phone)
    with pytest.raises(RateLimited):
        await kit.accounts.sign_in("keyed", PASSWORD, device_key=phone)
    assert (await kit.accounts.sign_in("keyed", PASSWORD, device_key=laptop)).user.handle == "keyed"


async def test_a_password_reset_forgets_the_known_keys(kit: Kit) -> None:
    phone = secrets.token_urlsafe(24)
    await kit.accounts.register("reset_me", "R", PASSWORD, device_key=phone)
    assert len(await kit.rows("SELECT key_hash FROM sign_in_keys")) == 1
    await kit.accounts.reset_password("reset_me", "granite owl 7 basket")
    assert await kit.rows("SELECT key_hash FROM sign_in_keys") == []


async def test_the_failure_budget_is_a_setting(make_kit: Any) -> None:
    kit = await make_kit(sign_in_failures="2/60")
    await kit.accounts.register("strict", "S", PASSWORD)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            await kit.accounts.sign_in("strict", "nope nope")
    with pytest.raises(RateLimited) as paused:
        await kit.accounts.sign_in("strict", PASSWORD)
    assert paused.value.fields["retry_after"] == 60


async def test_at_most_the_configured_number_of_hashes_run_at_once() -> None:
    passwords = Passwords(1, 8192, concurrency=2)
    running, most = 0, 0
    lock = threading.Lock()
    hasher = passwords._hasher

    class Counting:
        def hash(self, password: str) -> str:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.02)
            with lock:
                running -= 1
            return hasher.hash(password)

    passwords._hasher = Counting()  # type: ignore[assignment]
    await asyncio.gather(*(passwords.hash(f"password {i}") for i in range(12)))
    assert most == 2
