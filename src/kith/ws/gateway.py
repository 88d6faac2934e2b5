"""The WebSocket gateway: authenticate, resume from ``since``, push events live, accept sends and reads.

Delivery follows the sync model: the connection keeps a cursor (the last seq it pushed). Wake-ups
that continue the cursor are pushed from their frames directly; any gap (a wake-up lost, missed
while buffering, or from another node) is filled from the store. A slow client never grows memory
without bound: past a backlog limit the buffered wake-ups are dropped and the connection reads
from the store once the client catches up. Every heartbeat the connection also checks the store,
so even a lost wake-up delays an event by one heartbeat at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any

import msgspec
from starlette.websockets import WebSocket, WebSocketDisconnect

from kith.accounts.models import Caller
from kith.accounts.service import AccountService
from kith.bus.base import Bus, Wakeup
from kith.chats.service import ChatService
from kith.errors import DomainError, NotFound, Unauthenticated
from kith.jsonenc import decode, encode
from kith.settings import Settings
from kith.sync.service import SyncService
from kith.ws import protocol as p

log = logging.getLogger(__name__)

BACKLOG_MAX = 1000  # wake-ups buffered per connection before falling back to the store
_REVOKED = b'"type":"device.revoked"'


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason.encode()[:120].decode(errors="ignore")


class Gateway:
    def __init__(
        self, accounts: AccountService, chats: ChatService, sync: SyncService, bus: Bus, settings: Settings
    ) -> None:
        self.accounts = accounts
        self.chats = chats
        self.sync = sync
        self.bus = bus
        self.settings = settings
        self.connections: set[Connection] = set()

    async def endpoint(self, websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            caller, since = await self._hello(websocket)
        except _Close as close:
            await _close(websocket, close.code, close.reason)
            return
        except WebSocketDisconnect:
            return
        connection = Connection(self, websocket, caller)
        self.connections.add(connection)
        try:
            await connection.run(since)
        finally:
            self.connections.discard(connection)

    async def _hello(self, websocket: WebSocket) -> tuple[Caller, int | None]:
        try:
            message = await asyncio.wait_for(websocket.receive(), self.settings.ws_auth_timeout_seconds)
        except TimeoutError:
            raise _Close(p.CLOSE_HELLO_TIMEOUT, "send a hello frame first") from None
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
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

    async def close_all(self) -> None:
        for connection in list(self.connections):
            await connection.close(p.CLOSE_GOING_AWAY, "server shutting down")


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code, reason)


class Connection:
    def __init__(self, gateway: Gateway, websocket: WebSocket, caller: Caller) -> None:
        self.gateway = gateway
        self.ws = websocket
        self.caller = caller
        self.cursor = 0  # the last seq pushed to this client
        self.target = 0  # the seq the client is known to need, when beyond what buffered wake-ups cover
        self.backlog: deque[Wakeup] = deque()
        self.wake = asyncio.Event()
        self.slots = asyncio.Semaphore(gateway.settings.ws_max_inflight)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closed = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self, since: int | None) -> None:
        unsubscribe = self.gateway.bus.subscribe(self.caller.user_id, self._on_wakeup)
        pusher = None
        try:
            head = await self.gateway.sync.head(self.caller.user_id)
            if since is not None and since > head:
                await self._send(
                    p.error_frame(None, "since_ahead", "since is ahead of your log; sync again from 0", {"head": head})
                )
                await self.close(p.CLOSE_RESYNC, "since is ahead of the log")
                return
            self.cursor = head if since is None else since
            self.target = head
            await self._send(encode({"type": "ready", "head": head, "since": self.cursor}).decode())
            self.wake.set()
            pusher = asyncio.create_task(self._push_loop())
            await self._read_loop()
        finally:
            self.closed = True
            unsubscribe()
            if pusher is not None:
                pusher.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pusher

    async def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True
            await _close(self.ws, code, reason)

    async def _send(self, text: str) -> None:
        if self.closed:
            return
        try:
            await self.ws.send({"type": "websocket.send", "text": text})
        except Exception:  # the peer is gone; the read loop will notice and end the connection
            self.closed = True

    # -- pushing events ----------------------------------------------------------------------

    def _on_wakeup(self, wakeup: Wakeup) -> None:
        if len(self.backlog) >= BACKLOG_MAX:
            self.backlog.clear()  # the store has all of it; read from there once the client drains
            self.target = max(self.target, wakeup.seq)
        else:
            self.backlog.append(wakeup)
        self.wake.set()

    async def _push_loop(self) -> None:
        heartbeat = self.gateway.settings.ws_heartbeat_seconds
        sync = self.gateway.sync
        while not self.closed:
            try:
                await asyncio.wait_for(self.wake.wait(), heartbeat)
            except TimeoutError:
                # a wake-up may have been lost (another process wrote, a bus hiccup): ask the store
                self.target = max(self.target, await sync.head(self.caller.user_id))
            self.wake.clear()
            await self._drain()

    async def _drain(self) -> None:
        sync = self.gateway.sync
        while not self.closed:
            batch: list[bytes] = []
            while self.backlog:
                wakeup = self.backlog[0]
                missing = wakeup.seq - self.cursor
                if missing <= 0:
                    self.backlog.popleft()
                elif wakeup.frames is not None and len(wakeup.frames) >= missing:
                    self.backlog.popleft()
                    batch.extend(wakeup.frames[-missing:])
                    self.cursor = wakeup.seq
                else:  # a gap before this wake-up: fill it from the store first
                    self.target = max(self.target, wakeup.seq)
                    break
            if batch:
                await self._push(batch)
            if self.target > self.cursor:
                frames, _head = await sync.frames(self.caller.user_id, self.cursor)
                if not frames:
                    self.target = self.cursor
                    continue
                self.cursor += len(frames)
                await self._push(frames)
                continue
            if not self.backlog:
                return

    async def _push(self, frames: list[bytes]) -> None:
        await self._send(p.events_frame(frames))
        for frame in frames:
            if _REVOKED in frame and decode(frame)["data"]["device_id"] == self.caller.device_id:
                await self.close(p.CLOSE_SESSION_ENDED, "this device was signed out")
                return

    # -- reading frames ----------------------------------------------------------------------

    async def _read_loop(self) -> None:
        while not self.closed:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                await self._send(p.error_frame(None, "invalid_frame", "frames must be JSON text"))
                continue
            try:
                frame = p.decoder.decode(text)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                await self._send(p.error_frame(None, "invalid_frame", str(exc)))
                continue
            if isinstance(frame, p.Send):
                await self._on_send(frame)
            elif isinstance(frame, p.Read):
                self._spawn(self._on_read(frame))
            elif isinstance(frame, p.Ping):
                await self._send(encode({"type": "pong", "ref": frame.ref}).decode())
            else:
                await self._send(p.error_frame(None, "invalid_frame", "already said hello"))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _on_send(self, frame: p.Send) -> None:
        await self.slots.acquire()  # back-pressure: stop reading while too many sends are in flight
        try:
            # validates and queues the write now, so this sender's messages keep their order
            pending = self.gateway.chats.send(self.caller, frame.conversation_id, frame.id, frame.text, frame.reply_to)
        except DomainError as exc:
            self.slots.release()
            await self._send(p.error_frame(frame.id, exc.code, exc.message, exc.fields))
            return
        self._spawn(self._ack(frame.id, pending))

    async def _ack(self, ref: str, pending: Any) -> None:
        try:
            ack = await pending
            text = p.ack_frame(ref, message=ack.message, duplicate=ack.duplicate)
        except DomainError as exc:
            text = p.error_frame(ref, exc.code, exc.message, exc.fields)
        except Exception:
            log.exception("send failed")
            text = p.error_frame(ref, "internal", "the message could not be stored; try again")
        finally:
            self.slots.release()
        await self._send(text)

    async def _on_read(self, frame: p.Read) -> None:
        try:
            if not 0 < frame.conversation_id <= p.MAX_ID:  # as a REST path id: no such conversation
                raise NotFound("no such conversation")
            read_seq = await self.gateway.chats.mark_read(self.caller, frame.conversation_id, frame.seq)
            text = p.ack_frame(frame.ref, read_seq=read_seq)
        except DomainError as exc:
            text = p.error_frame(frame.ref, exc.code, exc.message, exc.fields)
        except Exception:
            log.exception("read failed")
            text = p.error_frame(frame.ref, "internal", "the read position could not be stored; try again")
        await self._send(text)
