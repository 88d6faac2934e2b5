"""Talking to push services: which endpoints are acceptable, and one encrypted POST (RFC 8030/8291).

An endpoint is a URL the browser's push service gave it, and the server will POST to it: it must
not become a way to reach the server's own network (SSRF). So an endpoint is ``https://`` on the
default port, with a host name or a public address; before every push the name is resolved and a
push to a name that resolves to a loopback, private, link-local or otherwise special address is
refused (and that subscription deleted). As for webhooks, the connection resolves the name again;
operators who need more put an egress proxy in front. Redirects are never followed. With
``push_allow_insecure_endpoints`` (a local push service, the tests) an endpoint may also be
``http://`` on a loopback address, and any address is accepted.

The payload is encrypted for the browser with ``pywebpush`` (aes128gcm, RFC 8188) and the request
signed with the server's VAPID key; no push service account is needed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from pywebpush import WebPusher

from kith.errors import Invalid
from kith.push.models import MAX_ENDPOINT
from kith.push.vapid import Signer

_PRINTABLE = re.compile(r"\A[!-~]+\Z")  # printable ASCII, no spaces: what push services hand out


@dataclass(frozen=True)
class Sent:
    status: int  # the push service's answer: 201 accepted; 404 and 410 mean the subscription is gone


class Unreachable(Exception):
    """No HTTP answer: a timeout, a refused connection, a name that does not resolve."""


class Refused(Exception):
    """The endpoint's host resolves to an address pushes may not go to."""


def _refused(message: str) -> Invalid:
    return Invalid(message, "endpoint_refused", field="endpoint")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_endpoint(url: str, allow_insecure: bool) -> str:
    """``url`` if it may be an endpoint (without looking its host up), else Invalid."""
    if len(url) > MAX_ENDPOINT or not _PRINTABLE.match(url):
        raise _refused(f"an endpoint is a URL of at most {MAX_ENDPOINT} printable ASCII characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused("the endpoint is not a URL") from None
    host = parts.hostname or ""
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise _refused("an endpoint has a host, and no user name or fragment")
    ip = _ip(host)
    loopback = host == "localhost" or (ip is not None and ip.is_loopback)
    if parts.scheme == "http" and allow_insecure and loopback:
        return url
    if parts.scheme != "https":
        raise _refused("an endpoint is an https:// URL")
    if allow_insecure:
        return url
    if port not in (None, 443):
        raise _refused("an endpoint is on the default port of https")
    if ip is None:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")) or "." not in host:
            raise _refused("an endpoint names a push service on the internet")
    elif not ip.is_global or ip.is_multicast:
        raise _refused(f"{ip} is not a public address")
    return url


class PushClient:
    def __init__(self, signer: Signer, timeout_s: float, ttl_s: int, allow_insecure: bool) -> None:
        self.signer = signer
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s
        self.allow_insecure = allow_insecure
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
            self._http = httpx.AsyncClient(
                timeout=self.timeout_s, follow_redirects=False, trust_env=False, limits=limits
            )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _check_resolves(self, url: str) -> None:
        if self.allow_insecure:
            return
        parts = urlsplit(url)
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname, parts.port or 443, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise Unreachable(f"{parts.hostname} does not resolve") from exc
        for *_, address in found:
            ip = ipaddress.ip_address(address[0])
            if not ip.is_global or ip.is_multicast:
                raise Refused(f"{parts.hostname} resolves to {ip}, which is not a public address")

    async def send(self, endpoint: str, p256dh: str, auth: str, payload: bytes, topic: str, urgency: str) -> Sent:
        """One push: ``payload`` encrypted for the subscription's keys. ``topic`` lets the push
        service replace a push of the same topic that it still holds for an offline device."""
        check_endpoint(endpoint, self.allow_insecure)
        await self._check_resolves(endpoint)
        body = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}).encode(payload)["body"]
        headers = {
            "Authorization": self.signer.authorization(endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(self.ttl_s),
            "Topic": topic,
            "Urgency": urgency,
        }
        try:
            # the status is all that matters: the answer's body is never read (it could be anything)
            async with (
                asyncio.timeout(self.timeout_s * 2),
                self._client().stream("POST", endpoint, content=body, headers=headers) as response,
            ):
                return Sent(response.status_code)
        except (TimeoutError, httpx.TimeoutException):
            raise Unreachable(f"no answer within {self.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from None
