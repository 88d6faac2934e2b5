"""Wake-up buses: ``memory://`` for one node, ``redis://`` for many."""

from __future__ import annotations

from kith.bus.base import Bus
from kith.bus.memory import MemoryBus


def from_url(url: str) -> Bus:
    if url in ("memory://", "memory", ""):
        return MemoryBus()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from kith.bus.redis import RedisBus  # needs the [redis] extra

        return RedisBus(url)
    raise ValueError(f"unsupported bus URL {url!r}: use memory:// or redis://host:port/db")
