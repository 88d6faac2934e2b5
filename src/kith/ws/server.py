"""uvicorn's sans-I/O WebSocket protocol, bounded for peers that do not read.

uvicorn writes the answer to a peer's ping frame (a control frame, which the gateway never sees)
straight to the socket's transport, past flow control: a client that sends pings and never reads
would grow the server's write buffer without end. Here a ping is answered only while the transport
takes writes (its buffer is under the high-water mark, 64 KiB); while the peer does not read, its
pings go unanswered, as RFC 6455 (5.5.3) allows: an endpoint may answer only the latest ping.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class BoundedWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_ping(self) -> None:
        output = self.conn.data_to_send()  # the pong the protocol just queued
        if self.writable.is_set():
            self.transport.write(b"".join(output))
