"""Token buckets: the arithmetic, bounded memory, the rules' keys, and Redis shared between nodes."""

from __future__ import annotations

import secrets

import pytest
from backends import REDIS
from domain import FakeClock

from kith.errors import RateLimited
from kith.ratelimit import Limits, MemoryBuckets, Rate
from kith.ratelimit.base import networks
from kith.settings import Settings


def test_rates_parse_and_can_be_turned_off() -> None:
    assert Rate.parse("20/600") == Rate(20, 600.0)
    assert Rate.parse(" 5/0.5 ") == Rate(5, 0.5)
    for off in ("off", "", "0", "OFF"):
        assert Rate.parse(off) is None
    for bad in ("20", "x/10", "0/10", "5/0", "5/-1", "5/inf"):
        with pytest.raises(ValueError, match="rate_x"):
            Rate.parse(bad, "rate_x")


def test_every_default_rate_parses() -> None:
    limits = Limits.from_settings(Settings(), FakeClock(), MemoryBuckets(), None)
    assert all(rate is not None for rate in limits.rates.values())


def test_a_bucket_empties_then_refills_at_its_rate() -> None:
    clock, buckets = FakeClock(), MemoryBuckets()
    rate = Rate(3, 30)  # three at once, then one every 10 s
    assert [buckets.take_now("k", rate, clock.ms) for _ in range(3)] == [0, 0, 0]
    assert buckets.take_now("k", rate, clock.ms) == 10
    clock.advance(4)
    assert buckets.take_now("k", rate, clock.ms) == 6
    clock.advance(6)
    assert buckets.take_now("k", rate, clock.ms) == 0
    assert buckets.take_now("other", rate, clock.ms) == 0  # each key its own bucket


def test_memory_is_bounded_and_idle_keys_are_forgotten() -> None:
    clock, buckets = FakeClock(), MemoryBuckets(max_keys=100)
    rate = Rate(5, 10)
    for i in range(1000):
        buckets.take_now(f"k{i}", rate, clock.ms)
    assert len(buckets) == 100
    clock.advance(60)  # every bucket is full again: the same as no bucket
    for i in range(50):
        buckets.take_now(f"fresh{i}", rate, clock.ms)
    assert len(buckets) <= 52


def test_limits_raise_rate_limited_and_exempt_addresses() -> None:
    clock = FakeClock()
    limits = Limits(
        clock,
        {"sign_up_ip": Rate(1, 60), "send_user": Rate(2, 10), "group_user": None},
        MemoryBuckets(),
        exempt=networks("127.0.0.0/8, ::1", "x"),
    )
    limits.check("send_user", 7)
    limits.check("send_user", 7)
    with pytest.raises(RateLimited) as caught:
        limits.check("send_user", 7)
    assert caught.value.code == "rate_limited" and caught.value.fields == {"retry_after": 5}
    for _ in range(5):
        limits.check("sign_up_ip", "127.0.0.1")
        limits.check("sign_up_ip", "::1")
        limits.check("group_user", 7)  # off
    limits.check("sign_up_ip", "192.0.2.1")
    with pytest.raises(RateLimited):
        limits.check("sign_up_ip", "192.0.2.1")


def test_the_client_address_through_trusted_proxies() -> None:
    limits = Limits(FakeClock(), {}, MemoryBuckets(), trusted_proxies=networks("127.0.0.1, 10.0.0.0/8", "x"))
    assert limits.client_ip("127.0.0.1", None) == "127.0.0.1"
    assert limits.client_ip("127.0.0.1", "203.0.113.5") == "203.0.113.5"
    assert limits.client_ip("127.0.0.1", "198.51.100.9, 203.0.113.5, 10.1.2.3") == "203.0.113.5"
    assert limits.client_ip("192.0.2.7", "203.0.113.5") == "192.0.2.7"  # not a proxy: its header is ignored
    untrusting = Limits(FakeClock(), {}, MemoryBuckets())
    assert untrusting.client_ip("127.0.0.1", "203.0.113.5") == "127.0.0.1"


@pytest.mark.usefixtures("scale_out_services")
async def test_redis_buckets_are_shared_by_every_node() -> None:
    from kith.ratelimit.redis import RedisBuckets

    url = f"{REDIS}{'&' if '?' in REDIS else '?'}namespace=ratelimit-{secrets.token_hex(4)}"
    clock = FakeClock()
    nodes = [RedisBuckets(url), RedisBuckets(url)]
    limits = [Limits(clock, {"friend_request_user": Rate(3, 30)}, MemoryBuckets(), shared=n) for n in nodes]
    try:
        await limits[0].take("friend_request_user", 1)
        await limits[1].take("friend_request_user", 1)
        await limits[0].take("friend_request_user", 1)
        with pytest.raises(RateLimited) as caught:
            await limits[1].take("friend_request_user", 1)
        assert caught.value.fields["retry_after"] == 10
        await limits[1].take("friend_request_user", 2)
        clock.advance(10)
        await limits[1].take("friend_request_user", 1)
    finally:
        for node in nodes:
            await node.close()
