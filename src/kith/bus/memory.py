"""The in-process bus: one node, listeners called directly."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kith.bus.base import Listener, Wakeup

log = logging.getLogger(__name__)


class MemoryBus:
    def __init__(self) -> None:
        # a tuple per user: most users have one connection, and a 1-tuple is a quarter of a set
        self._listeners: dict[int, tuple[Listener, ...]] = {}

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        self._listeners.clear()

    async def ping(self) -> None:
        pass  # in-process: reachable while the process runs

    def publish(self, wakeups: Sequence[Wakeup]) -> None:
        for wakeup in wakeups:
            for listener in self._listeners.get(wakeup.user_id, ()):
                try:
                    listener(wakeup)
                except Exception:  # one broken listener must not starve the others
                    log.exception("wake-up listener failed")

    def subscribe(self, user_id: int, listener: Listener) -> None:
        self._listeners[user_id] = (*self._listeners.get(user_id, ()), listener)

    def unsubscribe(self, user_id: int, listener: Listener) -> None:
        remaining = tuple(x for x in self._listeners.get(user_id, ()) if x is not listener)
        if remaining:
            self._listeners[user_id] = remaining
        else:
            self._listeners.pop(user_id, None)

    def has_listeners(self, user_id: int) -> bool:
        return user_id in self._listeners

    async def present(self, user_id: int) -> bool:
        return user_id in self._listeners
