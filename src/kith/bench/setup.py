"""Setup through the public REST API: users, friendships, direct conversations and groups."""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

PASSWORD = "bench plum ferry 8812"
T = TypeVar("T")


def run_tag() -> str:
    """A short random prefix so that every run's handles are new (also against a long-running server)."""
    return "b" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6))


@dataclass(frozen=True)
class Account:
    id: int
    handle: str
    token: str


class SetupError(RuntimeError):
    pass


class Api:
    """A REST client that creates the benchmark's users and relations, a few requests at a time."""

    def __init__(self, base_url: str, concurrency: int = 8, timeout: float = 30) -> None:
        self.http = httpx.AsyncClient(base_url=base_url + "/api/v1", timeout=timeout)
        self.limit = asyncio.Semaphore(concurrency)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def _call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.limit:
            response = await self.http.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 300:
            raise SetupError(f"{method} {path} -> {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def _all(self, calls: Iterable[Awaitable[T]]) -> list[T]:
        return list(await asyncio.gather(*calls))

    async def register(self, handle: str) -> Account:
        body = await self._call(
            "POST", "/accounts", json={"handle": handle, "display_name": handle, "password": PASSWORD}
        )
        return Account(body["user"]["id"], handle, body["token"])

    async def register_many(self, prefix: str, count: int) -> list[Account]:
        return await self._all(self.register(f"{prefix}{i}") for i in range(count))

    async def befriend(self, a: Account, b: Account) -> None:
        sent = await self._call("POST", "/friend-requests", a.token, json={"handle": b.handle})
        await self._call("POST", f"/friend-requests/{sent['request']['id']}/accept", b.token)

    async def befriend_pairs(self, pairs: Iterable[tuple[Account, Account]]) -> None:
        await self._all(self.befriend(a, b) for a, b in pairs)

    async def direct(self, a: Account, b: Account) -> int:
        return int((await self._call("POST", "/conversations/direct", a.token, json={"user_id": b.id}))["id"])

    async def directs(self, pairs: Iterable[tuple[Account, Account]]) -> list[int]:
        return await self._all(self.direct(a, b) for a, b in pairs)

    async def group(self, owner: Account, members: list[Account], name: str) -> int:
        body = {"user_ids": [m.id for m in members], "name": name}
        return int((await self._call("POST", "/conversations/groups", owner.token, json=body))["id"])

    async def head(self, a: Account) -> int:
        """The newest seq of a user's event log."""
        return int((await self._call("GET", "/sync", a.token, params={"since": 0, "limit": 1}))["head"])
