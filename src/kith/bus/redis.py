"""The Redis bus: wake-ups between nodes over Redis pub/sub, one channel per user.

A node subscribes to a user's channel while it has at least one local listener for that user, and
dispatches its own wake-ups locally without waiting for Redis. Messages carry the sending node's id
so a node ignores the echo of its own publishes. Redis keeps nothing: if it is unreachable, wake-ups
are lost and connections catch up from the store at their next heartbeat; the bus reconnects.

Pub/sub channels are global to a Redis server: the db number in the URL does not separate them. So
the channels are named after it, ``kith:<db>:wake:<user id>`` (or after ``?namespace=<name>`` in the
URL): deployments that share a Redis server with different db numbers never hear each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.connection import parse_url

from kith.bus.base import Listener, Wakeup
from kith.bus.memory import MemoryBus

log = logging.getLogger(__name__)


def channel_prefix(url: str) -> tuple[str, str]:
    """The URL to connect with (without ``namespace``) and the prefix of the deployment's channels."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = [value for key, value in query if key == "namespace"]
    if not names:
        return url, f"kith:{parse_url(url).get('db', 0)}:wake:"
    rest = urlencode([(key, value) for key, value in query if key != "namespace"])
    return urlunsplit(parts._replace(query=rest)), f"kith:{names[-1]}:wake:"


class _Envelope(msgspec.Struct, array_like=True):
    node: str
    wakeup: Wakeup


_READ_MAX = 1000  # messages read off the subscription before what they bring is dispatched
_PUBLISH_MAX = 500  # wake-ups published by one script call (Redis runs nothing else meanwhile)
# One call publishes a batch: a PUBLISH per wake-up, each with its own command and reply to encode
# and parse, cost more of the node's CPU than anything else in a group's fan-out.
_PUBLISH_MANY = """
for i = 1, #ARGV, 2 do
    redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
end
return #ARGV / 2
"""
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(_Envelope).decode


class RedisBus:
    def __init__(self, url: str) -> None:
        self.url, self.prefix = channel_prefix(url)
        self.node = os.urandom(8).hex()
        # how this node's own envelopes begin (a 2-array, then the node id): its echoes are dropped
        # unread, which on one node under load is every message the subscription brings
        self._echo = b"\x92" + msgspec.msgpack.encode(self.node)
        self.local = MemoryBus()
        self._redis: aioredis.Redis | None = None
        self._pubsub: aioredis.client.PubSub | None = None
        self._publish_many: AsyncScript | None = None
        self._listener_task: asyncio.Task[None] | None = None
        self._publish_queue: asyncio.Queue[list[tuple[str, bytes]]] = asyncio.Queue(maxsize=10_000)
        self._publisher_task: asyncio.Task[None] | None = None
        self._channels: set[str] = set()
        self._pending: dict[str, bool] = {}  # channel -> subscribe (True) or unsubscribe (False)
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self._redis = aioredis.from_url(self.url)
        await self._redis.ping()
        self._publish_many = self._redis.register_script(_PUBLISH_MANY)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._listener_task = asyncio.create_task(self._listen())
        self._publisher_task = asyncio.create_task(self._publish_loop())

    async def close(self) -> None:
        for task in (self._listener_task, self._publisher_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
        await self.local.close()

    async def ping(self) -> None:
        """A round trip to Redis; raises (redis.ConnectionError, ...) while it cannot be reached."""
        if self._redis is None:
            raise RuntimeError("the Redis bus is not started")
        await self._redis.ping()

    # -- Bus interface -----------------------------------------------------------------------

    def publish(self, wakeups: Sequence[Wakeup]) -> None:
        self.local.publish(wakeups)
        batch = [(self.prefix + str(w.user_id), _encode(_Envelope(self.node, w))) for w in wakeups]
        try:
            self._publish_queue.put_nowait(batch)
        except asyncio.QueueFull:  # Redis is far behind: drop; connections catch up from the store
            log.warning("redis bus backlog full; dropping %d wake-ups", len(batch))

    def subscribe(self, user_id: int, listener: Listener) -> None:
        self.local.subscribe(user_id, listener)
        channel = self.prefix + str(user_id)
        if channel not in self._channels:
            self._channels.add(channel)
            self._pending[channel] = True
            self._changed.set()

    def unsubscribe(self, user_id: int, listener: Listener) -> None:
        self.local.unsubscribe(user_id, listener)
        channel = self.prefix + str(user_id)
        if not self.local.has_listeners(user_id) and channel in self._channels:
            self._channels.discard(channel)
            self._pending[channel] = False
            self._changed.set()

    async def present(self, user_id: int) -> bool:
        """A listener here, or any node subscribed to the user's channel (Redis counts them). A node
        that just lost its last listener may still count for the moment its unsubscribe takes."""
        if self.local.has_listeners(user_id):
            return True
        if self._redis is None:
            return False
        try:
            counts = await self._redis.pubsub_numsub(self.prefix + str(user_id))
        except Exception as exc:
            log.warning("redis presence check failed: %s", exc)
            return False
        return bool(counts) and int(counts[0][1]) > 0

    # -- background tasks --------------------------------------------------------------------

    async def _publish_loop(self) -> None:
        while True:
            batch = await self._publish_queue.get()
            while not self._publish_queue.empty():  # all that waits, published together
                batch += self._publish_queue.get_nowait()
            if not batch:
                continue
            try:
                assert self._publish_many is not None
                for start in range(0, len(batch), _PUBLISH_MAX):
                    await self._publish_many(args=[x for pair in batch[start : start + _PUBLISH_MAX] for x in pair])
            except Exception as exc:  # a lost wake-up only delays delivery until the next heartbeat
                log.warning("redis publish failed: %s", exc)
                await asyncio.sleep(0.5)

    async def _apply_subscriptions(self) -> None:
        assert self._pubsub is not None
        pending, self._pending = self._pending, {}
        subscribe = [c for c, on in pending.items() if on]
        unsubscribe = [c for c, on in pending.items() if not on]
        if subscribe:
            await self._pubsub.subscribe(*subscribe)
        if unsubscribe:
            await self._pubsub.unsubscribe(*unsubscribe)

    async def _listen(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                self._changed.clear()
                await self._apply_subscriptions()
                if not self._pubsub.subscribed:
                    await self._changed.wait()
                    continue
                message = await self._pubsub.get_message(timeout=0.05)
                wakeups: list[Wakeup] = []
                read = 0
                while message is not None:  # what has arrived, dispatched at once
                    if message["type"] == "message" and not message["data"].startswith(self._echo):
                        wakeups.append(_decode(message["data"]).wakeup)
                    read += 1
                    message = await self._pubsub.get_message(timeout=0) if read < _READ_MAX else None
                if wakeups:
                    self.local.publish(wakeups)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis subscription failed (%s); resubscribing", exc)
                await asyncio.sleep(0.5)
                with contextlib.suppress(Exception):
                    assert self._redis is not None
                    self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                self._pending = dict.fromkeys(self._channels, True)
