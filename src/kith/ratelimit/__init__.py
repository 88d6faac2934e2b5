"""Rate limits: token buckets per user, per device and per client address.

``Limits`` is what the services call (``check`` on the send path, ``take`` elsewhere); the buckets
live in memory on each node (``MemoryBuckets``) or, when the bus is ``redis://``, in Redis for the
verbs that may wait for it (``RedisBuckets``). ``from_settings`` builds it from the settings table.
"""

from __future__ import annotations

from kith.ratelimit.base import RULES, Buckets, Limits, Rate, Rule
from kith.ratelimit.memory import MemoryBuckets

__all__ = ["RULES", "Buckets", "Limits", "MemoryBuckets", "Rate", "Rule", "from_settings"]

from kith.clock import Clock
from kith.settings import Settings


def from_settings(settings: Settings, clock: Clock) -> Limits:
    shared: Buckets | None = None
    if settings.bus.startswith(("redis://", "rediss://", "unix://")):
        from kith.ratelimit.redis import RedisBuckets  # needs the [redis] extra

        shared = RedisBuckets(settings.bus)
    return Limits.from_settings(settings, clock, MemoryBuckets(), shared)
