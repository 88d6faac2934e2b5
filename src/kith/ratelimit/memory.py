"""Token buckets in this node's memory, bounded: idle keys are forgotten, the oldest first."""

from __future__ import annotations

from collections import OrderedDict

from kith.ratelimit.base import Rate, refill, wait_seconds


class MemoryBuckets:
    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, int, Rate]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take_now(self, key: str, rate: Rate, now_ms: int) -> int:
        buckets = self._buckets
        found = buckets.pop(key, None)
        tokens = float(rate.count) if found is None else refill(found[0], found[1], now_ms, rate)
        retry_after = 0
        if tokens >= 1:
            tokens -= 1
        else:
            retry_after = wait_seconds(tokens, rate)
        buckets[key] = (tokens, now_ms, rate)  # the most recently used key goes last
        self._forget(now_ms)
        return retry_after

    async def take(self, key: str, rate: Rate, now_ms: int) -> int:
        return self.take_now(key, rate, now_ms)

    def _forget(self, now_ms: int) -> None:
        """Drop the least recently used keys whose buckets are full again (a full bucket is the same
        as none), a couple per call; past ``max_keys`` drop the oldest whatever they hold."""
        buckets = self._buckets
        for _ in range(2):
            key, (tokens, last_ms, rate) = next(iter(buckets.items()))
            if refill(tokens, last_ms, now_ms, rate) < rate.count:
                break
            del buckets[key]
            if not buckets:
                return
        while len(buckets) > self.max_keys:
            buckets.popitem(last=False)

    async def close(self) -> None:
        """Nothing to let go of: the buckets live in this process."""
