"""What the event core hands around: an appended event ready to publish, and its wire frame."""

from __future__ import annotations

import msgspec


class Emitted(msgspec.Struct, array_like=True):
    """One event appended in a transaction, ready to publish after the commit."""

    user_id: int
    seq: int
    frame: bytes  # the event's JSON, exactly as sync would return it


def frame(seq: int, type_: str, at: int, data: bytes) -> bytes:
    return b'{"seq":%d,"type":"%s","at":%d,"data":%s}' % (seq, type_.encode(), at, data)
