"""The one JSON codec: msgspec, fast and strict (also validates request bodies and frames)."""

from __future__ import annotations

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
encode = _encoder.encode


def encode_str(value: Any) -> str:
    return _encoder.encode(value).decode()


def decode(data: bytes | str) -> Any:
    return msgspec.json.decode(data)
