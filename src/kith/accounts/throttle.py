"""Sign-in throttling: a handle that keeps failing is paused for a while.

An attempt is counted when it starts, before its password is checked, so attempts sent all at once
cannot slip past the count; a right password clears the count it was made on.

Throttled separately (each its own budget, never paused by the other):
- attempts from devices that never signed in to the account, on the handle alone: a stranger who
  tries passwords pauses only these;
- each device that signed in to the account before (it shows its sign-in key), on the handle and
  that key: its owner still gets in while strangers are paused.

Kept in memory, per node: an attacker spread over several nodes gets a few more tries, never an
unlimited number. Memory is bounded: the oldest keys are forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict, deque

from kith.clock import Clock
from kith.errors import RateLimited


class FailedAttempts:
    def __init__(self, clock: Clock, limit: int = 10, window_seconds: float = 900, max_keys: int = 100_000) -> None:
        self.clock = clock
        self.limit = limit
        self.window_ms = int(window_seconds * 1000)
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[int]] = OrderedDict()

    def _recent(self, key: str) -> deque[int]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        horizon = self.clock.now_ms() - self.window_ms
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def check(self, key: str) -> None:
        """Raise RateLimited while ``key`` has had too many failures in the window."""
        failures = self._recent(key)
        if len(failures) >= self.limit:
            retry_after = max(1, (failures[0] + self.window_ms - self.clock.now_ms() + 999) // 1000)
            raise RateLimited(
                f"too many failed sign-ins; try again in {(retry_after + 59) // 60} minutes",
                retry_after=retry_after,
            )

    def begin(self, key: str) -> None:
        """Count an attempt that is about to check a password, or raise RateLimited if paused. A
        right password then ``clear``s the count it was made on."""
        self.check(key)
        self.fail(key)

    def fail(self, key: str) -> None:
        failures = self._failures.setdefault(key, deque())
        self._failures.move_to_end(key)
        now = self.clock.now_ms()
        failures.append(now)
        while len(failures) > self.limit:
            failures.popleft()
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)
