"""Wake-up buses: ``memory://`` for one node."""

from __future__ import annotations

from kith.bus.base import Bus
from kith.bus.memory import MemoryBus


def from_url(url: str) -> Bus:
    if url in ("memory://", "memory", ""):
        return MemoryBus()
    raise ValueError(f"unsupported bus URL {url!r}: use memory://")
