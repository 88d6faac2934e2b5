"""A lean WebSocket client of kith's protocol (docs/websocket.md) for the load generator.

It is the `websockets` sans-I/O protocol under a plain ``asyncio.Protocol``: no reader task and no
queue per connection, so a worker process can drive hundreds of connections, and the arrival time
of a frame is taken in ``data_received``, when its bytes come off the socket, before any decoding.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

import msgspec
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

# -- frames from the server: only the fields the benchmark reads (the rest is skipped) ------


class Data(msgspec.Struct):
    client_id: str | None = None
    sender_id: int | None = None
    conversation_id: int = 0
    seq: int = 0


class Event(msgspec.Struct):
    seq: int
    type: str
    data: Data = msgspec.field(default_factory=Data)


class ServerFrame(msgspec.Struct):
    type: str
    events: list[Event] = msgspec.field(default_factory=list)
    ref: str | None = None
    head: int = 0
    since: int = 0
    error: dict[str, Any] | None = None


_decode_frame = msgspec.json.Decoder(ServerFrame).decode
_encode = msgspec.json.Encoder().encode

Handler = Callable[[ServerFrame, float], None]


class ProtocolError(Exception):
    pass


def send_frame(client_id: str, conversation_id: int, text: str) -> bytes:
    return _encode({"type": "send", "id": client_id, "conversation_id": conversation_id, "text": text})


class Connection(asyncio.Protocol):
    """One WebSocket connection; each decoded server frame goes to ``handler(frame, arrived_at)``."""

    def __init__(self, url: str, max_size: int = 2**24) -> None:
        self.proto = ClientProtocol(parse_uri(url), max_size=max_size)
        self.transport: asyncio.Transport | None = None
        self.handler: Handler | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ready: asyncio.Future[ServerFrame] = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self._fragments: list[bytes] = []
        for future in (self.opened, self.ready):
            future.add_done_callback(_retrieve)  # a failure nobody awaits any more is not an error

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it
        self.proto.send_request(self.proto.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        arrived = time.perf_counter()
        self.proto.receive_data(data)
        for event in self.proto.events_received():
            if isinstance(event, Response):
                self._opened()
            elif isinstance(event, Frame):
                self._on_frame(event, arrived)
        self._flush()

    def eof_received(self) -> bool | None:
        self.proto.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.close_code is None:
            self.close_code = self.proto.close_code
        error = ProtocolError(f"connection lost (close code {self.close_code})")
        for future in (self.opened, self.ready):
            if not future.done():
                future.set_exception(error)

    # -- frames ------------------------------------------------------------------------------

    def _opened(self) -> None:
        if self.opened.done():
            return
        if self.proto.handshake_exc is not None:
            self.opened.set_exception(ProtocolError(f"handshake failed: {self.proto.handshake_exc}"))
        else:
            self.opened.set_result(None)

    def _on_frame(self, frame: Frame, arrived: float) -> None:
        if frame.opcode is Opcode.CLOSE:
            self.close_code = self.proto.close_code
            return
        if frame.opcode not in (Opcode.TEXT, Opcode.CONT):
            return  # pings are answered by the sans-I/O protocol itself
        if not frame.fin:
            self._fragments.append(bytes(frame.data))
            return
        data = bytes(frame.data) if self._fragments else frame.data
        if self._fragments:
            data = b"".join([*self._fragments, data])
            self._fragments.clear()
        try:
            decoded = _decode_frame(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:  # reported, not fatal
            decoded = ServerFrame(
                "undecodable", error={"message": str(exc), "frame": bytes(data[:200]).decode(errors="replace")}
            )
        if not self.ready.done():
            if decoded.type == "ready":
                self.ready.set_result(decoded)
            else:
                self.ready.set_exception(ProtocolError(f"expected ready, got {data[:200]!r}"))
            return
        if self.handler is not None:
            self.handler(decoded, arrived)

    def _flush(self) -> None:
        if self.transport is None:
            return
        for chunk in self.proto.data_to_send():
            if chunk:
                self.transport.write(chunk)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    # -- API ---------------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.proto.send_text(data)
        self._flush()

    def close(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        try:
            self.proto.send_close(1000)
            self._flush()
        except Exception:  # already closing on the protocol's side
            pass
        self.transport.close()


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def connect(
    url: str, token: str, since: int | None = None, handler: Handler | None = None, timeout: float = 30
) -> Connection:
    """Open a WebSocket, say hello and wait for ``ready``; every frame after it goes to ``handler``.

    The handler is in place before ``hello`` goes out: the server may push a backlog in the same
    packet as ``ready``.
    """
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    _transport, conn = await asyncio.wait_for(
        loop.create_connection(lambda: Connection(url), parts.hostname or "127.0.0.1", parts.port or 80), timeout
    )
    conn.handler = handler
    try:
        await asyncio.wait_for(asyncio.shield(conn.opened), timeout)
        conn.send(_encode({"type": "hello", "token": token, "since": since}))
        await asyncio.wait_for(asyncio.shield(conn.ready), timeout)
    except BaseException:
        conn.close()
        raise
    return conn
