"""The Bus interface: post-commit wake-ups ("user U now has events up to seq S").

The store is the truth. A wake-up may carry the new events' frames so that a local subscriber can
push them without a read; a subscriber that sees a gap (or no frames) reads from the store.
A lost wake-up therefore delays an event until the next catch-up; it never loses one.

A wake-up of seq ``EPHEMERAL`` (0, which no log reaches) is no wake-up: its frames are WebSocket
frames to push as they are to the user's live sockets (a typing indicator), never stored and never
in the log. Where nobody listens it is dropped, and a subscriber that does not know it drops it too
(seq 0 is never ahead of a cursor).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import msgspec

EPHEMERAL = 0  # the seq of a wake-up that carries frames to push as they are, not events


class Wakeup(msgspec.Struct, array_like=True):
    user_id: int
    seq: int  # the user's head after these events
    frames: list[bytes] | None = None  # the events ending at ``seq``, in order, when known (EPHEMERAL: frames)


Listener = Callable[[Wakeup], None]


class Bus(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Return once the bus is known to carry wake-ups now; raise if it cannot (``/readyz``)."""
        ...

    def publish(self, wakeups: Sequence[Wakeup]) -> None:
        """Fire and forget; never blocks the caller."""
        ...

    def subscribe(self, user_id: int, listener: Listener) -> None:
        """Call ``listener`` (on the event loop, without awaiting) for each wake-up of ``user_id``."""
        ...

    def unsubscribe(self, user_id: int, listener: Listener) -> None:
        """Stop calling ``listener`` (the very object given to ``subscribe``)."""
        ...

    async def present(self, user_id: int) -> bool:
        """Whether some node has a listener for ``user_id`` now (one per open WebSocket): a push
        need not wake the user's phone for what their open app already shows. When the bus cannot
        tell (Redis unreachable), False: better a push too many than a message nobody hears of."""
        ...
