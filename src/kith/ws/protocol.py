"""WebSocket frames: JSON text frames with a ``type`` field. See docs/websocket.md.

Client -> server: ``hello`` (first, once), ``send``, ``read``, ``ping``, ``typing``.
Server -> client: ``ready``, ``events``, ``ack``, ``error``, ``pong``, ``typing``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from kith.chats.models import Location
from kith.jsonenc import encode

# close codes (4000-4999 are the application's own)
CLOSE_GOING_AWAY = 1001
CLOSE_INTERNAL = 1011
CLOSE_UNAUTHENTICATED = 4001  # bad or missing token in hello: sign in again
CLOSE_PROTOCOL = 4002  # first frame was not hello, or a binary frame
CLOSE_SESSION_ENDED = 4003  # this device was signed out
CLOSE_HELLO_TIMEOUT = 4008
CLOSE_RESYNC = 4009  # since is ahead of the log: sync from 0

MAX_ID = 2**63 - 1  # ids are SQLite integers


class Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=True):
    pass


class Hello(Frame, tag="hello"):
    token: str
    since: int | None = None  # None: start from now, no backlog


class Send(Frame, tag="send"):
    id: str
    conversation_id: int
    text: str = ""
    reply_to: int | None = None
    media_id: str | None = None  # an image, voice note or file uploaded before (docs/media.md)
    location: Location | None = None  # a place shared
    mentions: list[int] | None = None  # the members of a group the text names (@)


class Read(Frame, tag="read"):
    conversation_id: int
    seq: int
    ref: str | None = None


class Ping(Frame, tag="ping"):
    ref: str | None = None


class Typing(Frame, tag="typing"):
    """The sender is typing in a direct conversation: passed on to the other person's live sockets."""

    conversation_id: int


ClientFrame = Hello | Send | Read | Ping | Typing
decoder = msgspec.json.Decoder(ClientFrame)


def events_frame(frames: list[bytes]) -> str:
    return (b'{"type":"events","events":[' + b",".join(frames) + b"]}").decode()


def typing_frame(conversation_id: int, user_id: int) -> bytes:
    return encode({"type": "typing", "conversation_id": conversation_id, "user_id": user_id})


def ack_frame(ref: str | None, **payload: Any) -> str:
    return encode({"type": "ack", "ref": ref, **payload}).decode()


def error_frame(ref: str | None, code: str, message: str, fields: dict[str, Any] | None = None) -> str:
    return encode({"type": "error", "ref": ref, "error": {"code": code, "message": message, **(fields or {})}}).decode()
