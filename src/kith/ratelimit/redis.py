"""Token buckets in Redis, shared by every node of a deployment: one small Lua script per take.

Each bucket is a hash (tokens, last refill time) that expires once it would be full again, so
Redis forgets idle keys by itself. Times come from the calling node's clock.
"""

from __future__ import annotations

import math

import redis.asyncio as aioredis
from redis.connection import parse_url

from kith.bus.redis import channel_prefix
from kith.ratelimit.base import Rate

# KEYS[1] the bucket; ARGV: count, tokens per ms, now (ms)
# returns 0 when a token was taken, else the ms until one is back
_TAKE = """
local count = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or count
local at = tonumber(state[2]) or now
tokens = math.min(count, tokens + math.max(0, now - at) * per_ms)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((count - tokens) / per_ms) + 1000)
return wait
"""


class RedisBuckets:
    def __init__(self, url: str) -> None:
        url, wake_prefix = channel_prefix(url)
        self.prefix = wake_prefix.removesuffix("wake:") + "rate:"  # kith:<db or namespace>:rate:
        self.url = url
        parse_url(url)  # a bad URL fails at start, not on the first sign-in
        self._redis: aioredis.Redis | None = None
        self._script: object = None

    async def take(self, key: str, rate: Rate, now_ms: int) -> int:
        if self._redis is None:
            self._redis = aioredis.from_url(self.url)
            self._script = self._redis.register_script(_TAKE)
        wait_ms = int(await self._script(keys=[self.prefix + key], args=[rate.count, repr(rate.per_ms), now_ms]))  # type: ignore[operator]
        return 0 if wait_ms <= 0 else max(1, math.ceil(wait_ms / 1000))

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
