"""The connection protocols kith is served with: uvicorn's, with bounds on what one client may hold.

uvicorn's httptools protocol buffers a request head of any size (one header of 50 MiB is read
whole) and sets no deadline on heads or bodies, so a client that sends half a request holds its
connection for ever. ``HttpProtocol`` adds, at the cost of a counter and a flag per chunk (timers
only for connections whose request does not arrive in one piece):

- a cap on the request head (target and header fields, ``max_header_bytes``) and on the number of
  header fields (``max_headers``): answered 431 and closed. A head that is still incomplete is
  measured as it arrives, so no more than the cap and a read or two (256 KiB each) are buffered;
- a deadline for the head (``http_header_timeout_seconds``), counted from the connection or from a
  request's first byte and never extended by more bytes: the connection is closed;
- an idle deadline for the body (``http_body_timeout_seconds``): a body that stops arriving is
  answered 408 and closed; what is left of a body the app answered without reading may drain for
  one such period, no longer.

``WebSocketProtocol`` closes a socket that sends a text frame that is not UTF-8 (1007) with a line
in the log rather than a traceback.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from kith.http.errors import error_body
from kith.settings import Settings


@dataclass(frozen=True)
class HttpLimits:
    max_header_bytes: int = 32 * 1024
    max_headers: int = 100
    header_timeout: float = 10.0
    body_timeout: float = 30.0

    @classmethod
    def of(cls, settings: Settings) -> HttpLimits:
        return cls(
            settings.max_header_bytes,
            settings.max_headers,
            settings.http_header_timeout_seconds,
            settings.http_body_timeout_seconds,
        )


class HttpProtocol(HttpToolsProtocol):
    limits: ClassVar[HttpLimits] = HttpLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limits = self.limits
        self._max_head = limits.max_header_bytes
        self._max_headers = limits.max_headers
        self._head_timeout = limits.header_timeout
        self._body_timeout = limits.body_timeout
        self._in_head = True  # reading a request head (or waiting for the connection's first)
        self._head_raw = 0  # bytes received while in the head
        self._head_size = 0  # exact size of the head so far: target, names and values
        self._header_count = 0
        self._head_refused = False  # set by a parser callback that stops the parser on a head over the limits
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_seen = 0.0  # loop time when body bytes last came
        self._drain_until: float | None = None  # the app answered: the rest of the body may come until then

    @classmethod
    def configured(cls, settings: Settings) -> type[HttpProtocol]:
        return type(cls.__name__, (cls,), {"limits": HttpLimits.of(settings)})

    # the connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(self._head_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if self._in_head:
            self._head_raw += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._head_refused:
                self._refuse_head()
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._in_head:
            if self._head_raw > self._max_head:
                self._refuse_head()
            elif self._head_timer is None:
                self._head_timer = self.loop.call_later(self._head_timeout, self._head_timed_out)
        elif self.cycle is not None and self.cycle.more_body:
            self._body_seen = self.loop.time()
            if self._body_timer is None:
                self._body_timer = self.loop.call_later(self._body_timeout, self._body_check)

    # parser callbacks: a little bookkeeping around uvicorn's

    def on_message_begin(self) -> None:
        self._in_head = True
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        if self._head_size > self._max_head:
            self._stop_head()
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:  # uvicorn's, inlined (once per header)
        self._head_size += len(name) + len(value)
        self._header_count += 1
        if self._head_size > self._max_head or self._header_count > self._max_headers:
            self._stop_head()
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def _stop_head(self) -> None:
        self._head_refused = True
        raise httptools.HttpParserError("request head over the limits")  # stops the parser where it is

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_raw = self._head_size = self._header_count = 0
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._drain_until = None
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        cycle = self.cycle
        if cycle is not None and cycle.response_complete and cycle.more_body and not self.transport.is_closing():
            # answered before the body ended (a refusal): the rest is read and dropped, for a while
            self._drain_until = self.loop.time() + self._body_timeout
            if self._body_timer is None:
                self._body_timer = self.loop.call_later(self._body_timeout, self._body_check)

    # deadlines

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self.transport.close()

    def _body_check(self) -> None:
        self._body_timer = None
        cycle = self.cycle
        if cycle is None or not cycle.more_body or self.transport.is_closing():
            return
        now = self.loop.time()
        if cycle.response_complete:
            due = self._drain_until if self._drain_until is not None else now
        else:
            if self.flow.read_paused:  # the app has not taken what came: the wait is not the client's
                self._body_seen = now
            due = self._body_seen + self._body_timeout
        if now < due:
            self._body_timer = self.loop.call_at(due, self._body_check)
            return
        if not cycle.response_started:
            message = f"the request body stopped arriving for {self._body_timeout:g} seconds"
            self._write_error(408, error_body("request_timeout", message))
        # the app, if still reading, sees a disconnect and its answer goes nowhere
        cycle.disconnected = True
        cycle.message_event.set()
        self.transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None

    # answers of the protocol itself, in the API's error shape

    def _refuse_head(self) -> None:
        message = (
            f"the request head must be at most {self._max_head} bytes with at most {self._max_headers} header fields"
        )
        fields = {"limit": self._max_head, "max_headers": self._max_headers}
        self._write_error(431, error_body("headers_too_large", message, fields))

    def send_400_response(self, msg: str) -> None:
        self._write_error(400, error_body("invalid", "the request is not valid HTTP/1.1"))

    def _write_error(self, status: int, body: bytes) -> None:
        self._cancel_timers()
        if self.transport.is_closing():
            return
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content += [name, b": ", value, b"\r\n"]
        content += [
            b"content-type: application/json\r\ncontent-length: ",
            str(len(body)).encode(),
            b"\r\nconnection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(content))
        self.transport.close()
