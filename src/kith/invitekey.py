"""Invite link tokens: random, shown to their owner again at will, and useless to whoever copies the database.

A token is HMAC-SHA256(key, nonce) cut to 18 bytes (144 bits), written in URL-safe base64 (24
characters); the nonce is 16 random bytes. The database keeps the nonce, so the owner can be shown
the same link again, and the SHA-256 of the token, to find the link a visitor brings. The key lives
outside the database (the ``invite_key`` setting, or the file ``invite.key`` in the data directory),
so a leaked database or backup yields no working link: the digests cannot be reversed and the
nonces give nothing without the key.

Should the key change (a new data directory without its ``invite.key``), the links made before still
work for visitors (they are found by digest), but their owners can no longer be shown them: those
owners get a fresh link (``recoverable`` tells).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from kith.errors import Invalid

TOKEN = re.compile(r"\A[A-Za-z0-9_-]{24}\Z")  # \Z: `$` would also match before a final newline
KEY_FILE = "invite.key"
_HEX_KEY = re.compile(r"\A[0-9a-fA-F]{64}\Z")


def check_token(token: str, field: str = "token") -> None:
    if not isinstance(token, str) or not TOKEN.match(token):
        raise Invalid("an invite token is 24 letters, digits, - or _", field=field)


def digest(token: str) -> bytes:
    """What the database keeps of a token, to find it by."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class InviteKey:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("an invite key is 32 bytes")
        self._key = key

    @classmethod
    def load(cls, setting: str, data_dir: Path) -> InviteKey:
        """The key of the ``invite_key`` setting (64 hex digits), or else of ``<data_dir>/invite.key``,
        which is made (readable by its owner only) when there is none yet."""
        if setting.strip():
            if not _HEX_KEY.match(setting.strip()):
                raise ValueError("invite_key: expected 64 hex digits (or empty, for a key file in the data directory)")
            return cls(bytes.fromhex(setting.strip()))
        path = data_dir / KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: of two nodes starting at once on one data directory, one writes and both read it
            with contextlib.suppress(FileExistsError):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as file:
                    file.write(secrets.token_hex(32) + "\n")
                    file.flush()
                    os.fsync(file.fileno())
        text = path.read_text().strip()
        if not _HEX_KEY.match(text):
            raise ValueError(f"{path}: expected 64 hex digits")
        return cls(bytes.fromhex(text))

    def token(self, nonce: bytes) -> str:
        mac = hmac.new(self._key, b"kith invite link\0" + nonce, hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(mac).decode()

    def new(self) -> tuple[str, bytes, bytes]:
        """A fresh token, with its nonce and its digest (what the database keeps)."""
        nonce = secrets.token_bytes(16)
        token = self.token(nonce)
        return token, nonce, digest(token)

    def recoverable(self, nonce: bytes, stored_digest: bytes) -> str | None:
        """The token of a stored link, or None when it was made with another key."""
        token = self.token(bytes(nonce))
        return token if hmac.compare_digest(digest(token), bytes(stored_digest)) else None
