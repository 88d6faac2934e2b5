"""The WebSocket gateway: authenticate, resume from ``since``, push events live, accept sends and reads.

It is a plain ASGI app, served beside the HTTP app rather than through its middleware: a socket
lives for hours and every frame is on the hot path.

Delivery follows the sync model: a connection keeps a cursor (the last seq it pushed). Wake-ups
that continue the cursor are pushed from their frames directly; any gap (a wake-up lost, dropped
from a full backlog, or written by another process) is filled from the store. A slow client never
grows memory without bound: past a backlog limit the buffered wake-ups are dropped and the
connection reads from the store once the client catches up. Every heartbeat one query reads the
heads of all connected users, so even a lost wake-up delays an event by one heartbeat at most.

Every per-connection queue is capped in bytes (``ws_max_queued_bytes``): buffered wake-ups past it
are dropped for the store as above; replies (acks, errors, pongs) to a client that keeps sending
but does not read are not, so past the cap the connection is closed with 1013 and its queue freed;
the client reconnects and resumes from its last seq. A catch-up from the store is read in pieces
of at most that many bytes too (one event past it, if a single event is larger). uvicorn writes a
frame whole and then waits while the kernel and its transport buffer (64 KiB) hold what the peer
has not read: a peer that does not read holds about one such piece in the server.

A device signed out elsewhere learns it from its own ``device.revoked`` event; the gateway looks
for it as each wake-up arrives, so a revoked device's frames are refused at once even while the
push itself waits for a client that does not read.

An idle connection holds no task and no timer of its own: a flush task exists only while there is
something to write, and acknowledgements are callbacks on the send's future.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable
from typing import Any

import msgspec
from starlette.types import Receive, Scope, Send

from kith.accounts.models import Caller
from kith.accounts.service import AccountService
from kith.bus.base import EPHEMERAL, Bus, Wakeup
from kith.chats.service import ChatService
from kith.errors import DomainError, NotFound, Unauthenticated
from kith.jsonenc import decode, encode
from kith.observe.metrics import Metrics
from kith.settings import Settings
from kith.sync.service import SyncService
from kith.ws import protocol as p

log = logging.getLogger(__name__)

PATH = "/api/v1/ws"
BACKLOG_MAX = 1000  # wake-ups buffered per connection before falling back to the store
_REVOKED = b'"type":"device.revoked"'
_TYPE_WITHIN = 64  # a frame starts {"seq":N,"type":...: its type is within its first bytes
CLOSE_TRY_AGAIN = 1013  # too much queued for a client that does not read: reconnect and resume
CLOSE_WAIT_SECONDS = 10.0  # how long a close frame may wait for a peer that does not read
TYPING_EVERY_SECONDS = 1.0  # a connection's typing frames past one a second are dropped


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason.encode()[:120].decode(errors="ignore")


class _Gone(Exception):
    """The client left before the handshake finished."""


class Gateway:
    def __init__(
        self,
        accounts: AccountService,
        chats: ChatService,
        sync: SyncService,
        bus: Bus,
        settings: Settings,
        metrics: Metrics,
    ) -> None:
        self.metrics = metrics
        self.accounts = accounts
        self.chats = chats
        self.sync = sync
        self.bus = bus
        self.settings = settings
        self.connections: set[Connection] = set()
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep())

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for connection in list(self.connections):
            await connection.close(p.CLOSE_GOING_AWAY, "server shutting down")

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Nothing here reads the handshake's headers (the token comes in `hello`); letting go of
        # the scope's copy saves an idle socket about 1 KiB for its whole life.
        scope["headers"] = []
        # the connection's own coroutine is the only frame a socket keeps for its lifetime
        return Connection(self, send).serve(receive)

    async def _hello(self, receive: Receive) -> tuple[Caller, int | None]:
        try:
            async with asyncio.timeout(self.settings.ws_auth_timeout_seconds):
                message = await receive()
        except TimeoutError:
            raise _Close(p.CLOSE_HELLO_TIMEOUT, "send a hello frame first") from None
        if message["type"] == "websocket.disconnect":
            raise _Gone
        text = message.get("text")
        if text is None:
            raise _Close(p.CLOSE_PROTOCOL, "frames must be JSON text")
        try:
            frame = p.decoder.decode(text)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise _Close(p.CLOSE_PROTOCOL, f"invalid hello: {exc}") from None
        if not isinstance(frame, p.Hello):
            raise _Close(p.CLOSE_PROTOCOL, "the first frame must be hello")
        if frame.since is not None and not 0 <= frame.since < 2**62:
            raise _Close(p.CLOSE_PROTOCOL, "since must be 0 or more")
        try:
            caller = await self.accounts.authenticate(frame.token)
        except Unauthenticated as exc:
            raise _Close(p.CLOSE_UNAUTHENTICATED, exc.message) from None
        return caller, frame.since

    async def _sweep(self) -> None:
        """Every heartbeat, read the heads of all connected users at once; connections behind catch up."""
        while True:
            await asyncio.sleep(self.settings.ws_heartbeat_seconds)
            by_user: dict[int, list[Connection]] = {}
            for connection in self.connections:
                by_user.setdefault(connection.caller.user_id, []).append(connection)
            if not by_user:
                continue
            try:
                heads = await self.sync.heads(list(by_user))
            except Exception:
                log.exception("heartbeat sweep failed")
                continue
            for user_id, head in heads.items():
                for connection in by_user.get(user_id, ()):
                    connection.need(head)


async def _close(send: Send, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CLOSE_WAIT_SECONDS):  # a peer that does not read may never take it
            await send({"type": "websocket.close", "code": code, "reason": reason})


class Connection:
    __slots__ = (
        "caller",
        "closed",
        "closing",
        "cursor",
        "ended",
        "flushing",
        "gateway",
        "inflight",
        "outbox",
        "pending",
        "pending_bytes",
        "queued",
        "resume",
        "send",
        "target",
        "typing_after",
        "typing_task",
    )

    def __init__(self, gateway: Gateway, send: Send) -> None:
        self.gateway = gateway
        self.send = send
        self.caller = Caller(0, 0)  # known after hello
        self.cursor = 0  # the last seq pushed to this client
        self.target = 0  # a seq the client needs that buffered wake-ups may not cover
        self.pending: list[Wakeup] | None = None  # wake-ups not yet pushed
        self.outbox: list[str] | None = None  # acks, errors, pongs not yet written
        self.queued = 0  # bytes of the outbox, and of what is being written from it
        self.pending_bytes = 0  # bytes of the frames of the buffered wake-ups
        self.ended = False  # this device was signed out: refuse its frames, close once the event is out
        self.flushing = True  # no flush task may start before `ready` is out
        self.inflight = 0
        self.resume: asyncio.Future[None] | None = None  # set while reading waits for acks to drain
        self.closed = False
        self.closing: asyncio.Task[None] | None = None  # the close frame on its way after an overflow
        self.typing_after = 0.0  # the loop time before which typing frames are dropped
        self.typing_task: asyncio.Task[None] | None = None  # a typing frame being checked and passed on

    # -- lifecycle ---------------------------------------------------------------------------

    async def serve(self, receive: Receive) -> None:
        gateway = self.gateway
        if (await receive())["type"] != "websocket.connect":
            return
        await self.send({"type": "websocket.accept"})
        try:
            self.caller, since = await gateway._hello(receive)
        except _Close as close:
            await _close(self.send, close.code, close.reason)
            return
        except _Gone:
            return
        user_id = self.caller.user_id
        listener = self._on_wakeup
        gateway.bus.subscribe(user_id, listener)
        gateway.connections.add(self)
        try:
            head = await gateway.sync.head(self.caller.user_id)
            if since is not None and since > head:
                await self._write(
                    p.error_frame(None, "since_ahead", "since is ahead of your log; sync again from 0", {"head": head})
                )
                await self.close(p.CLOSE_RESYNC, "since is ahead of the log")
                return
            self.cursor = head if since is None else since
            self.target = max(self.target, head)
            await self._write(encode({"type": "ready", "head": head, "since": self.cursor}).decode())
            self.flushing = False
            self._kick()
            # reading frames, inline: one coroutine frame fewer on every idle socket
            max_inflight = self.gateway.settings.ws_max_inflight
            chats = self.gateway.chats
            while not self.closed:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    return
                if self.ended:  # signed out: nothing more from this device, whether or not it reads
                    await self.close(p.CLOSE_SESSION_ENDED, "this device was signed out")
                    return
                text = message.get("text")
                if text is None:
                    self._queue(p.error_frame(None, "invalid_frame", "frames must be JSON text"))
                    continue
                try:
                    frame = p.decoder.decode(text)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    self._queue(p.error_frame(None, "invalid_frame", str(exc)))
                    continue
                if isinstance(frame, p.Send):
                    if self.inflight >= max_inflight:  # back-pressure: stop reading until acks drain
                        self.resume = asyncio.get_running_loop().create_future()
                        await self.resume
                        if self.ended or self.closed:
                            continue
                    try:
                        # validates and queues the write now, so this sender's messages keep their order
                        sent = chats.send(
                            self.caller, frame.conversation_id, frame.id, frame.text, frame.reply_to, frame.media_id,
                            frame.location, frame.mentions,
                        )  # fmt: skip
                    except DomainError as exc:
                        self._queue(p.error_frame(frame.id, exc.code, exc.message, exc.fields))
                        continue
                    self.inflight += 1
                    sent.add_done_callback(functools.partial(self._acked, frame.id))
                elif isinstance(frame, p.Read):
                    self._on_read(frame)
                elif isinstance(frame, p.Ping):
                    self._queue(encode({"type": "pong", "ref": frame.ref}).decode())
                elif isinstance(frame, p.Typing):
                    self._on_typing(frame)
                else:
                    self._queue(p.error_frame(None, "invalid_frame", "already said hello"))
        finally:
            self.closed = True
            gateway.connections.discard(self)
            gateway.bus.unsubscribe(user_id, listener)
            if self.resume is not None and not self.resume.done():
                self.resume.cancel()
            if self.closing is not None:  # the close frame goes out before the app returns
                await self.closing

    async def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True
            self.outbox = self.pending = None  # nothing more goes out: free it now
            self.queued = self.pending_bytes = 0
            await _close(self.send, code, reason)

    def _overflow(self) -> None:
        """Too much waits for a client that does not read: free it, close, let the client resume."""
        if not self.closed:
            self.closing = asyncio.get_running_loop().create_task(
                _close(self.send, CLOSE_TRY_AGAIN, "too much is waiting for you to read; reconnect and resume")
            )
            self.closed = True  # from now on nothing is queued or read
            self.outbox = self.pending = None
            self.queued = self.pending_bytes = 0

    async def _write(self, text: str) -> None:
        if self.closed:
            return
        try:
            await self.send({"type": "websocket.send", "text": text})
        except Exception:  # the peer is gone; the read loop will see the disconnect
            self.closed = True

    # -- pushing -----------------------------------------------------------------------------

    def _on_wakeup(self, wakeup: Wakeup) -> None:
        if self.closed:
            return
        if wakeup.seq == EPHEMERAL:  # frames to push as they are (a typing indicator), never stored
            for frame in wakeup.frames or ():
                text = frame.decode()
                # a client that does not read loses these, not its connection
                if self.queued + len(text) <= self.gateway.settings.ws_max_queued_bytes:
                    self._queue(text)
            return
        size = 0
        if wakeup.frames is not None:
            for frame in wakeup.frames:
                size += len(frame)
                if (
                    frame.find(_REVOKED, 0, _TYPE_WITHIN) >= 0
                    and decode(frame)["data"]["device_id"] == self.caller.device_id
                ):
                    self.ended = True  # refused from now on; the event itself is pushed, then the close
        pending = self.pending
        if pending is None:
            self.pending = [wakeup]
            self.pending_bytes = size
        elif len(pending) >= BACKLOG_MAX or self.pending_bytes + size > self.gateway.settings.ws_max_queued_bytes:
            self.pending = None  # the store has all of it; read from there once the client drains
            self.pending_bytes = 0
            self.target = max(self.target, wakeup.seq)
        else:
            pending.append(wakeup)
            self.pending_bytes += size
        self._kick()

    def need(self, head: int) -> None:
        """The user's log reaches ``head``: make sure this client gets there."""
        if head > self.target:
            self.target = head
            self._kick()

    def _queue(self, text: str) -> None:
        if self.closed:
            return
        self.queued += len(text)
        if self.queued > self.gateway.settings.ws_max_queued_bytes:
            self._overflow()
            return
        if self.outbox is None:
            self.outbox = [text]
        else:
            self.outbox.append(text)
        self._kick()

    def _kick(self) -> None:
        if not self.flushing and not self.closed:
            self.flushing = True
            asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            while not self.closed:
                if self.outbox:
                    out, self.outbox = self.outbox, None
                    for text in out:
                        await self._write(text)
                        self.queued -= len(text)
                    continue
                batch = self._contiguous()
                if batch:
                    await self._push(batch)
                    self.gateway.metrics.pushed(batch, live=True)
                elif self.target > self.cursor:
                    frames, _head = await self.gateway.sync.frames(
                        self.caller.user_id, self.cursor, max_bytes=self.gateway.settings.ws_max_queued_bytes
                    )
                    self.gateway.metrics.sync_reads_ws += 1
                    if not frames:
                        self.target = self.cursor
                        continue
                    self.cursor += len(frames)
                    await self._push(frames)
                    self.gateway.metrics.pushed(frames, live=False)
                elif not self.pending:
                    return
        except Exception:
            log.exception("pushing to a WebSocket failed")
            await self.close(p.CLOSE_INTERNAL, "internal error; reconnect and resume")
        finally:
            self.flushing = False

    def _contiguous(self) -> list[bytes]:
        """Frames from buffered wake-ups that continue the cursor; stops at the first gap."""
        pending = self.pending
        batch: list[bytes] = []
        while pending:
            wakeup = pending[0]
            missing = wakeup.seq - self.cursor
            if missing <= 0:
                pending.pop(0)
                self.pending_bytes -= sum(len(f) for f in wakeup.frames or ())
            elif wakeup.frames is not None and len(wakeup.frames) >= missing:
                pending.pop(0)
                self.pending_bytes -= sum(len(f) for f in wakeup.frames)
                batch.extend(wakeup.frames[-missing:])
                self.cursor = wakeup.seq
            else:  # a gap before this wake-up: the store fills it, then buffered ones continue
                self.target = max(self.target, wakeup.seq)
                break
        if pending is not None and not pending:
            self.pending = None
            self.pending_bytes = 0
        return batch

    async def _push(self, frames: list[bytes]) -> None:
        await self._write(p.events_frame(frames))
        for frame in frames:
            if (
                frame.find(_REVOKED, 0, _TYPE_WITHIN) >= 0
                and decode(frame)["data"]["device_id"] == self.caller.device_id
            ):
                await self.close(p.CLOSE_SESSION_ENDED, "this device was signed out")
                return

    # -- answering requests ------------------------------------------------------------------

    def _acked(self, ref: str, sent: asyncio.Future[Any]) -> None:
        self.gateway.metrics.acked(sent)
        self.inflight -= 1
        resume = self.resume
        if resume is not None and not resume.done():
            self.resume = None
            resume.set_result(None)
        self._queue(_answer(ref, sent, lambda ack: p.ack_frame(ref, message=ack.message, duplicate=ack.duplicate)))

    def _on_typing(self, frame: p.Typing) -> None:
        """Pass a typing indicator on, at most one a second and one at a time: it is checked (a direct
        chat of the caller's, with a friend, no block either way) and published to the peer's sockets,
        never stored. One that would not reach the peer is dropped without a word."""
        now = asyncio.get_running_loop().time()
        if now < self.typing_after or self.typing_task is not None:
            return
        self.typing_after = now + TYPING_EVERY_SECONDS
        self.typing_task = asyncio.get_running_loop().create_task(self._typing(frame.conversation_id))

    async def _typing(self, conversation_id: int) -> None:
        try:
            if not 0 < conversation_id <= p.MAX_ID:  # as a REST path id: no such conversation
                raise NotFound("no such conversation")
            peer = await self.gateway.chats.typing_peer(self.caller, conversation_id)
            if peer is not None and not self.closed and not self.ended:
                frame = p.typing_frame(conversation_id, self.caller.user_id)
                self.gateway.bus.publish([Wakeup(peer, EPHEMERAL, [frame])])
        except DomainError as exc:
            self._queue(p.error_frame(None, exc.code, exc.message, exc.fields))
        except Exception:
            log.exception("a typing indicator failed")
        finally:
            self.typing_task = None

    def _on_read(self, frame: p.Read) -> None:
        try:
            if not 0 < frame.conversation_id <= p.MAX_ID:  # as a REST path id: no such conversation
                raise NotFound("no such conversation")
            marked = self.gateway.chats.mark_read(self.caller, frame.conversation_id, frame.seq)
        except DomainError as exc:
            self._queue(p.error_frame(frame.ref, exc.code, exc.message, exc.fields))
            return
        marked.add_done_callback(
            lambda done: self._queue(_answer(frame.ref, done, lambda seq: p.ack_frame(frame.ref, read_seq=seq)))
        )


def _answer(ref: str | None, done: asyncio.Future[Any], render: Any) -> str:
    """The frame answering a client request whose write has settled: an ack or an error."""
    if done.cancelled():
        return p.error_frame(ref, "internal", "the request was cancelled; try again")
    error = done.exception()
    if error is None:
        return str(render(done.result()))
    if isinstance(error, DomainError):
        return p.error_frame(ref, error.code, error.message, error.fields)
    log.error("a WebSocket request failed", exc_info=error)
    return p.error_frame(ref, "internal", "that could not be stored; try again")
