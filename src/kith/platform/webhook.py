"""Talking to a publisher's server: the URL check, the ``echostr`` handshake and one POST.

A webhook URL must name a public address: one that resolves to a loopback, private, link-local or
otherwise special address is refused (unless the operator allows it: the
``platform_allow_private_webhooks`` setting), both when it is saved and before every delivery, so a
name that later resolves elsewhere is caught too. (The connection then resolves the name again; a
name that answers differently between the two lookups could still reach an inner address. Operators
who need more put an egress proxy in front.) Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from kith.errors import Invalid
from kith.platform.crypto import signature
from kith.platform.envelope import MAX_REPLY_BYTES


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    latency_ms: int


class Unreachable(Exception):
    """No HTTP answer: a timeout, a refused connection, a name that does not resolve."""


def _refused(message: str) -> Invalid:
    return Invalid(message, "webhook_url_refused", field="webhook_url")


class WebhookClient:
    def __init__(self, timeout_s: float, allow_private: bool) -> None:
        self.timeout_s = timeout_s
        self.allow_private = allow_private
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False, trust_env=False)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise _refused("a webhook URL is http:// or https://, with a host and no user name")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise _refused("the webhook URL's port is not a number") from None
        if self.allow_private:
            return
        try:
            found = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except OSError:
            raise _refused(f"{parts.hostname} does not resolve") from None
        for *_, address in found:
            ip = ipaddress.ip_address(address[0])
            if not ip.is_global or ip.is_multicast:
                raise _refused(f"{parts.hostname} resolves to {ip}, which is not a public address")

    async def handshake(self, url: str, token: str) -> None:
        """WeChat's URL check: the server must echo ``echostr`` back for a correctly signed GET."""
        await self.check_url(url)
        timestamp, nonce, echostr = str(int(time.time())), secrets.token_hex(8), secrets.token_hex(10)
        query = {"signature": signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                 "echostr": echostr}  # fmt: skip
        try:
            answer = await self._request("GET", url, query, None)
        except Unreachable as exc:
            raise Invalid(f"the webhook URL did not answer: {exc}", "handshake_failed", field="webhook_url") from None
        if answer.status != 200 or answer.body.strip() != echostr.encode():
            raise Invalid(
                f"the webhook answered {answer.status} without echoing echostr back (check its Token)",
                "handshake_failed",
                field="webhook_url",
            )

    async def post(self, url: str, query: dict[str, str], body: bytes) -> Answer:
        await self.check_url(url)
        return await self._request("POST", url, query, body)

    async def _request(self, method: str, url: str, query: dict[str, str], body: bytes | None) -> Answer:
        start = time.perf_counter()
        headers = {"Content-Type": "text/xml"} if body is not None else {}
        try:
            async with self._client().stream(method, url, params=query, content=body, headers=headers) as response:
                received = bytearray()
                async for chunk in response.aiter_bytes():
                    received += chunk
                    if len(received) > MAX_REPLY_BYTES:
                        break  # the reply parser refuses it as too large
                return Answer(response.status_code, bytes(received), round((time.perf_counter() - start) * 1000))
        except httpx.TimeoutException:
            raise Unreachable(f"no answer within {self.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from None
