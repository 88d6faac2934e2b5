"""Failed sign-ins pause a handle for a while; a success or the passing window lifts the pause."""

from __future__ import annotations

import pytest
from domain import PASSWORD, Kit

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
