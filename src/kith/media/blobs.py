"""Where the bytes of media live: content-addressed files, written whole or not at all.

``Blobs`` is the interface the media service uses; ``LocalBlobs`` keeps the files under the data
directory, at ``media/<ab>/<cd>/<sha256>``. An upload is written into ``media/tmp/`` as it arrives
(``Incoming``), fsynced, and then renamed into place: a rename within one filesystem is atomic, so
a reader sees either no file or the whole of it, and a crash mid-upload leaves only a temporary
file, which ``clean_temporary`` removes once it is stale (at start and with every sweep).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from pathlib import Path
from typing import BinaryIO, Protocol


class Incoming:
    """A file being received: written, hashed and counted chunk by chunk, never held in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self._hash = hashlib.sha256()
        self._file: BinaryIO | None = open(path, "xb")  # noqa: SIM115 (closed by finish or discard)

    def write(self, chunk: bytes) -> None:
        assert self._file is not None
        self._file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def head(self, n: int = 64) -> bytes:
        """The first ``n`` bytes written (for telling the type of the content)."""
        with open(self.path, "rb") as f:
            return f.read(n)

    def finish(self) -> str:
        """Flush to disk; the sha-256 of what was written."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
        return self._hash.hexdigest()

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class Blobs(Protocol):
    def incoming(self) -> Incoming:
        """A new temporary file to receive an upload into."""
        ...

    def temporary(self) -> Path:
        """A fresh name for a temporary file (a re-encoded image, a thumbnail), not yet created."""
        ...

    def place(self, incoming: Path, sha256: str) -> None:
        """Move a complete temporary file in as the blob ``sha256`` (dropping it if that blob exists)."""
        ...

    def path(self, sha256: str) -> Path:
        """A local path to read the blob from (an object store would stage or stream it)."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...

    def clean_temporary(self, older_than_s: float) -> int:
        """Remove what crashed uploads left behind (temporary files not written to for
        ``older_than_s``: another node sharing the directory may be receiving the newer ones)."""
        ...


class LocalBlobs:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"

    def _ensure(self) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True)

    def incoming(self) -> Incoming:
        return Incoming(self.temporary())

    def temporary(self) -> Path:
        self._ensure()
        return self.tmp / f"up-{secrets.token_hex(12)}"

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha-256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def place(self, incoming: Path, sha256: str) -> None:
        target = self.path(sha256)
        if target.is_file():
            incoming.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming, target)
        fsync(target.parent)

    def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(sha256).unlink()

    def clean_temporary(self, older_than_s: float) -> int:
        if not self.tmp.is_dir():
            return 0
        removed = 0
        cutoff = time.time() - older_than_s
        for leftover in self.tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
        return removed


def fsync(path: Path) -> None:
    """Flush a file, or a directory's entries (a rename), to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
