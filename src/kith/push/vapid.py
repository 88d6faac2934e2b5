"""The server's VAPID key pair (RFC 8292): made on first start, kept in a file, shared by every node.

Push services accept a push for a subscription only when it is signed with the key the browser
subscribed with, so the key must never change under a deployment: every node reads the same file
(a shared data directory, or ``push_vapid_key_file``). Two nodes that start at once on an empty
directory cannot make two keys: each writes its own to a temporary file and links it into place,
which only the first does; both then read what is there.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid

SIGNATURE_TTL_S = 12 * 3600  # a push service refuses a VAPID token valid for more than 24 hours
_CACHE_MAX = 64  # audiences (push services' origins) whose signed header is kept


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_or_create(path: Path) -> Vapid:
    """The key in ``path`` (PEM), made there first if there is none."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = Vapid()
        fresh.generate_keys()
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
        try:
            with os.fdopen(fd, "wb") as out:  # mkstemp made it 0600: the private key is nobody else's
                out.write(fresh.private_pem())
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):  # another node was first: its key wins
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return Vapid.from_pem(path.read_bytes())


def public_key(vapid: Vapid) -> str:
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(raw)


class Signer:
    """``Authorization`` headers for pushes, one signature per push service reused for hours."""

    def __init__(self, vapid: Vapid, contact: str) -> None:
        self.vapid = vapid
        self.contact = contact
        self._cache: dict[str, tuple[float, str]] = {}

    def authorization(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._cache.get(audience)
        if cached is not None and cached[0] > now + 3600:  # renewed an hour before it expires
            return cached[1]
        expires = int(now) + SIGNATURE_TTL_S
        header = str(self.vapid.sign({"aud": audience, "sub": self.contact, "exp": expires})["Authorization"])
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[audience] = (expires, header)
        return header
