"""The rules, the bucket arithmetic and the ``Limits`` facade the services call."""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kith.clock import Clock
from kith.errors import RateLimited
from kith.settings import Settings

if TYPE_CHECKING:
    from kith.ratelimit.memory import MemoryBuckets

log = logging.getLogger(__name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Rate:
    """A token bucket: ``count`` tokens when full, refilled evenly over ``seconds``."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str, name: str = "rate") -> Rate | None:
        """``"COUNT/SECONDS"`` (``"20/600"``: 20 at once, then one every 30 s); ``"off"`` or empty: no limit."""
        text = text.strip().lower()
        if text in ("", "off", "0", "none"):
            return None
        count, sep, seconds = text.partition("/")
        try:
            rate = cls(int(count), float(seconds))
        except ValueError:
            raise ValueError(f"{name}: expected COUNT/SECONDS such as 20/600, or off; got {text!r}") from None
        if not sep or rate.count < 1 or not 0 < rate.seconds < math.inf:
            raise ValueError(f"{name}: expected COUNT/SECONDS with both above 0, or off; got {text!r}")
        return rate

    @property
    def per_ms(self) -> float:
        return self.count / (self.seconds * 1000)


def refill(tokens: float, last_ms: int, now_ms: int, rate: Rate) -> float:
    return min(float(rate.count), tokens + max(0, now_ms - last_ms) * rate.per_ms)


def wait_seconds(tokens: float, rate: Rate) -> int:
    """Whole seconds until one token is back (at least 1)."""
    return max(1, math.ceil((1 - tokens) / rate.per_ms / 1000))


def address_key(address: str) -> str:
    """What a per-address limit counts: an IPv4 address, or the /64 of an IPv6 one (a single host
    may use any address of its /64, so counting whole addresses would count nothing)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class Buckets(Protocol):
    """Where the buckets live. ``take`` removes one token if there is one and returns 0, else the
    seconds until there will be one (and removes nothing)."""

    async def take(self, key: str, rate: Rate, now_ms: int) -> int: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Rule:
    setting: str  # the settings field holding its Rate
    message: str
    by: str  # what the key is: "user", "device" or "ip"


RULES: dict[str, Rule] = {
    "sign_up_ip": Rule("rate_sign_up_ip", "too many sign-ups from your network", "ip"),
    "sign_in_ip": Rule("rate_sign_in_ip", "too many sign-in attempts from your network", "ip"),
    "device_user": Rule("rate_new_device_user", "too many new sign-ins to this account", "user"),
    "friend_request_user": Rule("rate_friend_request_user", "too many friend requests", "user"),
    "group_user": Rule("rate_group_user", "too many new groups", "user"),
    "send_user": Rule("rate_send_user", "too many messages", "user"),
    "send_device": Rule("rate_send_device", "too many messages from this device", "device"),
    "media_user": Rule("rate_media_user", "too many uploads", "user"),
    "moment_user": Rule("rate_moment_user", "too many posts", "user"),
    "moment_interaction_user": Rule("rate_moment_interaction_user", "too many likes and comments", "user"),
    "invite_user": Rule("rate_invite_user", "too many invite links opened", "user"),
    "platform_token": Rule("rate_platform_token", "too many access tokens fetched", "user"),
    "platform_app": Rule("rate_platform_app", "too many API calls", "user"),
    "platform_template": Rule("rate_platform_template_follower", "too many template messages to this follower", "user"),
}


def networks(text: str, name: str) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _within(address: str, nets: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in nets)


class Limits:
    """The limits of one node. ``check`` is synchronous and counts on this node only (it runs on
    the send path, inline); ``take`` awaits the shared buckets when there are any."""

    def __init__(
        self,
        clock: Clock,
        rates: Mapping[str, Rate | None],
        local: MemoryBuckets,
        shared: Buckets | None = None,
        exempt: tuple[Network, ...] = (),
        trusted_proxies: tuple[Network, ...] = (),
    ) -> None:
        self.clock = clock
        self.rates = dict(rates)
        self.local = local
        self.shared = shared
        self.exempt = exempt
        self.trusted_proxies = trusted_proxies

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock, local: MemoryBuckets, shared: Buckets | None) -> Limits:
        rates = {name: Rate.parse(getattr(settings, rule.setting), rule.setting) for name, rule in RULES.items()}
        return cls(
            clock,
            rates,
            local,
            shared,
            networks(settings.rate_limit_exempt, "rate_limit_exempt"),
            networks(settings.trusted_proxies, "trusted_proxies"),
        )

    async def close(self) -> None:
        """Let go of the shared buckets' connection (at shutdown)."""
        if self.shared is not None:
            await self.shared.close()

    def client_ip(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address: the peer's, or, when the peer is a trusted proxy, the last address
        in X-Forwarded-For that is not one of the trusted proxies."""
        address = peer or ""
        if forwarded_for and _within(address, self.trusted_proxies):
            for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
                address = hop
                if not _within(hop, self.trusted_proxies):
                    break
        return address

    def _applies(self, name: str, key: object) -> Rate | None:
        rate = self.rates.get(name)
        if rate is None or key in (None, ""):
            return None
        if RULES[name].by == "ip" and _within(str(key), self.exempt):
            return None
        return rate

    def _refuse(self, name: str, retry_after: int) -> RateLimited:
        return RateLimited(f"{RULES[name].message}; try again in {retry_after} s", retry_after=retry_after)

    def check(self, name: str, key: object) -> None:
        """Take a token from this node's bucket now, or raise RateLimited (never waits)."""
        rate = self._applies(name, key)
        if rate is None:
            return
        bucket = f"{name}:{address_key(str(key)) if RULES[name].by == 'ip' else key}"
        retry_after = self.local.take_now(bucket, rate, self.clock.now_ms())
        if retry_after:
            raise self._refuse(name, retry_after)

    async def take(self, name: str, key: object) -> None:
        """Take a token (from the shared buckets when there are), or raise RateLimited."""
        rate = self._applies(name, key)
        if rate is None:
            return
        bucket = f"{name}:{address_key(str(key)) if RULES[name].by == 'ip' else key}"
        now = self.clock.now_ms()
        if self.shared is None:
            retry_after = await self.local.take(bucket, rate, now)
        else:
            try:
                retry_after = await self.shared.take(bucket, rate, now)
            except Exception as exc:  # Redis away: count on this node rather than refuse everyone
                log.warning("shared rate-limit buckets unreachable (%r); counting on this node", exc)
                retry_after = self.local.take_now(bucket, rate, now)
        if retry_after:
            raise self._refuse(name, retry_after)
