"""The in-process bus: one node, listeners called directly."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from kith.bus.base import Listener, Wakeup

log = logging.getLogger(__name__)


class MemoryBus:
    def __init__(self) -> None:
        self._listeners: dict[int, set[Listener]] = {}

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        self._listeners.clear()

    def publish(self, wakeups: Sequence[Wakeup]) -> None:
        for wakeup in wakeups:
            for listener in tuple(self._listeners.get(wakeup.user_id, ())):
                try:
                    listener(wakeup)
                except Exception:  # one broken listener must not starve the others
                    log.exception("wake-up listener failed")

    def subscribe(self, user_id: int, listener: Listener) -> Callable[[], None]:
        self._listeners.setdefault(user_id, set()).add(listener)

        def unsubscribe() -> None:
            listeners = self._listeners.get(user_id)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[user_id]

        return unsubscribe

    def has_listeners(self, user_id: int) -> bool:
        return user_id in self._listeners

    def subscriber_count(self) -> int:
        return sum(len(v) for v in self._listeners.values())
