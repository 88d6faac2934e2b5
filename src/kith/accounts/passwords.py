"""Password hashing with Argon2id, off the event loop and a few at a time; the strength check.

Hashing is the most expensive thing a request can ask for (64 MiB and tens of milliseconds of a
core each), so each node computes at most ``concurrency`` hashes at once and the rest wait their
turn: a flood of sign-ins slows sign-ins down, not the rest of the server.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from kith.errors import Invalid

STRENGTH_CHARS = 72  # zxcvbn looks at no more than this (its own maximum); the rest only adds strength


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int, concurrency: int = 2, min_score: int = 0) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self.min_score = min_score
        # verified against when a handle does not exist, so both cases take the same time
        self._decoy = self._hasher.hash("kith-decoy-password")

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        async with self._slots:
            ok = await asyncio.to_thread(self._verify, password_hash or self._decoy, password)
        return ok and bool(password_hash)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def check_strength(self, password: str, field: str = "password", user_inputs: tuple[str, ...] = ()) -> None:
        """Refuse a password that is easy to guess (a common one, a keyboard walk, the user's own
        handle...) with ``weak_password`` and the estimator's advice."""
        if self.min_score <= 0:
            return
        result = await asyncio.to_thread(zxcvbn, password[:STRENGTH_CHARS], [u for u in user_inputs if u])
        score = int(result["score"])
        if score >= self.min_score:
            return
        feedback = result.get("feedback") or {}
        warning = str(feedback.get("warning") or "")
        suggestions = [str(s) for s in feedback.get("suggestions") or []]
        reason = warning or "It is too easy to guess."
        raise Invalid(
            f"{field} is too weak: {reason} {' '.join(suggestions)}".strip(),
            "weak_password",
            field=field,
            score=score,
            min_score=self.min_score,
            warning=warning,
            suggestions=suggestions,
        )
