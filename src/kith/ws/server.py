"""uvicorn's sans-I/O WebSocket protocol, bounded for peers that do not read, strict about UTF-8.

uvicorn writes the answer to a peer's ping frame (a control frame, which the gateway never sees)
straight to the socket's transport, past flow control: a client that sends pings and never reads
would grow the server's write buffer without end. Here a ping is answered only while the transport
takes writes (its buffer is under the high-water mark, 64 KiB); while the peer does not read, its
pings go unanswered, as RFC 6455 (5.5.3) allows: an endpoint may answer only the latest ping.

A text frame that is not UTF-8 closes the socket with 1007 and one line in the log, not a traceback.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class WebSocketProtocol(WebSocketsSansIOProtocol):
    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # the handshake's request and response (with their headers, the security headers among
            # them: about 2 KiB) are never read again; an idle socket need not hold them for hours
            self.request = self.response = None  # type: ignore[assignment]

    def handle_ping(self) -> None:
        output = self.conn.data_to_send()  # the pong the protocol just queued
        if self.writable.is_set():
            self.transport.write(b"".join(output))

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type != "text" or self.close_sent:
            super().send_receive_event_to_app()
            return
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        self.frames = []
        try:
            text = data.decode()
        except UnicodeDecodeError:
            self.logger.info("Closed a WebSocket that sent a text frame that is not UTF-8.")
            self.conn.send_close(1007, "text frames must be UTF-8")
            self.handle_parser_exception()
            return
        self.queue.put_nowait({"type": "websocket.receive", "text": text})
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()
