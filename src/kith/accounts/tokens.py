"""Bearer tokens: random, shown once, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, bytes]:
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
