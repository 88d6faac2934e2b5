"""Uploading, serving and sweeping media.

An upload is streamed to a temporary file (hashed and counted as it arrives, refused the moment it
passes its kind's limit), checked in a thread (images decoded and re-encoded clean, voice notes
demuxed and timed, videos stream-copied into a clean container with a poster made of their first
frame; at most ``process_concurrency`` at once, since a decoded image holds its pixels in memory),
and moved into place in the transaction that records it. Image thumbnails and the sweep of media
nothing refers to are outbox jobs: neither runs inside a user's request.
"""

from __future__ import annotations

import asyncio
import collections
import secrets
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from kith.accounts.models import Caller
from kith.chats import access as chats
from kith.clock import Clock
from kith.contacts import access as contacts
from kith.errors import Invalid, NotFound, RateLimited, TooLarge
from kith.events import EventLog, Writer
from kith.jsonenc import decode, encode
from kith.media import inspect, store
from kith.media.access import SWEEP
from kith.media.blobs import Blobs, fsync, sha256_of
from kith.media.models import (
    FILE,
    IMAGE,
    KINDS,
    MAX_NAME_BYTES,
    REF_ACCOUNT_AVATAR,
    REF_ACCOUNT_NEWS,
    REF_GROUP_AVATAR,
    REF_MESSAGE,
    REF_MOMENT_POST,
    REF_USER_AVATAR,
    VIDEO,
    VOICE,
    Media,
    MediaLimits,
    Usage,
    media_from_row,
)
from kith.moments import access as moments
from kith.ratelimit import Limits
from kith.storage.database import Database, Tx

THUMBNAIL = "media.thumbnail"  # the outbox topic that makes an image's thumbnail
STALE_UPLOAD_S = 3600.0  # a temporary file untouched this long belongs to no upload in progress
_NO_MEDIA = "no such media"


def check_name(name: str | None, kind: str) -> str:
    """A file name as shown and offered for download; never a path (storage does not use it)."""
    if name is None or name == "":
        return "" if kind != FILE else "file"
    if (
        len(name.encode()) > MAX_NAME_BYTES
        or name.strip() in ("", ".", "..")
        or any(c in "/\\" or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name)
    ):
        raise Invalid(
            f"a file name is 1 to {MAX_NAME_BYTES} bytes, with no /, \\ or control characters",
            "invalid_name",
            field="name",
        )
    return name.strip()


@dataclass(frozen=True)
class Stored:
    """What a download serves: the file, and what to say about it."""

    path: Path
    sha256: str
    mime: str
    size: int
    kind: str
    name: str


@dataclass(frozen=True)
class _Checked:
    path: Path  # the file to keep: the upload itself, or its clean re-encoding
    sha256: str
    size: int
    probed: inspect.Probed
    poster: tuple[Path, str, int] | None = None  # a video's first frame: its file, sha-256 and size


class MediaService:
    def __init__(
        self, db: Database, writer: Writer, blobs: Blobs, clock: Clock, caps: MediaLimits, limits: Limits
    ) -> None:
        self.db = db
        self.writer = writer
        self.blobs = blobs
        self.clock = clock
        self.caps = caps
        self.limits = limits
        self._gate = asyncio.Semaphore(caps.process_concurrency)
        self._uploading: collections.Counter[int] = collections.Counter()  # uploads in progress, by user

    async def start(self) -> None:
        await asyncio.to_thread(self.blobs.clean_temporary, STALE_UPLOAD_S)

    # -- uploading ---------------------------------------------------------------------------

    async def do_upload(
        self,
        caller: Caller,
        kind: str,
        name: str | None,
        chunks: AsyncIterator[bytes],
        declared: int | None = None,
    ) -> Media:
        """Store an upload of ``kind`` streamed as ``chunks`` (``declared`` bytes long, if the client
        said so); nothing is kept if it is refused."""
        await self.limits.take("media_user", caller.user_id)
        if kind not in KINDS:
            raise Invalid(f"kind must be one of {', '.join(KINDS)}", field="kind")
        name = check_name(name, kind)
        quota = self.caps.quota_bytes
        if quota and await self.db.read(store.used_bytes, caller.user_id) >= quota:
            raise self._over_quota()
        limit = self.caps.max_bytes(kind)
        if declared is not None and declared > limit:
            raise TooLarge(f"a {kind} upload may be at most {limit} bytes", limit=limit)
        me = caller.user_id
        if self._uploading[me] >= self.caps.uploads_at_once:
            raise RateLimited(
                f"at most {self.caps.uploads_at_once} uploads at once; wait for one to finish", "too_many_uploads",
                retry_after=1,
            )  # fmt: skip
        self._uploading[me] += 1
        try:
            return await self._receive(me, kind, name, chunks, limit)
        finally:
            self._uploading[me] -= 1
            if not self._uploading[me]:
                del self._uploading[me]

    async def _receive(self, owner: int, kind: str, name: str, chunks: AsyncIterator[bytes], limit: int) -> Media:
        incoming = self.blobs.incoming()
        made: list[Path] = []
        try:
            async for chunk in chunks:
                if incoming.size + len(chunk) > limit:
                    raise TooLarge(f"a {kind} upload may be at most {limit} bytes", limit=limit)
                incoming.write(chunk)
            if incoming.size == 0:
                raise Invalid("the upload is empty", "missing_body")
            sha256 = await asyncio.to_thread(incoming.finish)
            async with self._gate:
                checked = await asyncio.to_thread(self._check, kind, incoming.path, sha256, incoming.size, made)
            return await self.writer.run(self._record, owner, kind, name, checked)
        finally:
            incoming.discard()
            for path in made:
                path.unlink(missing_ok=True)

    def _check(self, kind: str, path: Path, sha256: str, size: int, made: list[Path]) -> _Checked:
        if kind == IMAGE:
            clean = self.blobs.temporary()
            made.append(clean)
            probed = inspect.clean_image(path, clean, self.caps.image_max_pixels)
            fsync(clean)
            return _Checked(clean, sha256_of(clean), clean.stat().st_size, probed)
        if kind == VOICE:
            return _Checked(path, sha256, size, inspect.voice(path, self.caps.voice_max_ms))
        if kind == VIDEO:
            clean, poster = self.blobs.temporary(), self.blobs.temporary()
            made.extend((clean, poster))
            probed = inspect.video(path, clean, poster, self.caps.video_max_ms, self.caps.image_max_pixels)
            fsync(clean)
            fsync(poster)
            shot = (poster, sha256_of(poster), poster.stat().st_size)
            return _Checked(clean, sha256_of(clean), clean.stat().st_size, probed, shot)
        return _Checked(path, sha256, size, inspect.Probed("application/octet-stream"))

    def _over_quota(self) -> TooLarge:
        quota = self.caps.quota_bytes
        return TooLarge(
            f"your uploads would take more than your {quota // (1024 * 1024)} MiB of storage", "quota_exceeded",
            limit=quota,
        )  # fmt: skip

    def _record(self, tx: Tx, log: EventLog, owner: int, kind: str, name: str, checked: _Checked) -> Media:
        quota = self.caps.quota_bytes
        if quota and store.used_bytes(tx, owner) + checked.size > quota:
            raise self._over_quota()
        store.use_blob(tx, checked.sha256, checked.size, log.now)
        # moved in under the blob's row lock, after counting the use: a sweep of the same file either
        # finished before (and the file is put back here) or waits and sees the use
        self.blobs.place(checked.path, checked.sha256)
        thumb = None
        if checked.poster is not None:  # a video's poster is its thumbnail, made with the check
            poster, thumb, poster_size = checked.poster
            store.use_blob(tx, thumb, poster_size, log.now)
            self.blobs.place(poster, thumb)
        media_id = secrets.token_urlsafe(16)
        p = checked.probed
        store.insert_media(
            tx, id=media_id, owner_id=owner, kind=kind, mime=p.mime, size=checked.size, sha256=checked.sha256,
            name=name, width=p.width, height=p.height, duration_ms=p.duration_ms, created_at=log.now,
            thumb_sha256=thumb,
        )  # fmt: skip
        payload = encode({"media_id": media_id})
        if kind == IMAGE:
            log.enqueue(THUMBNAIL, payload)
        log.enqueue(SWEEP, payload, self.caps.sweep_grace_ms)
        return media_from_row(store.media(tx, media_id))

    # -- reading -----------------------------------------------------------------------------

    async def usage(self, caller: Caller) -> Usage:
        return Usage(await self.db.read(store.used_bytes, caller.user_id), self.caps.quota_bytes)

    async def uploads(self, caller: Caller) -> list[tuple[Media, Path]]:
        """The caller's own uploads, oldest first, with where to read each (for their data export)."""
        rows = await self.db.read(store.uploads_of, caller.user_id)
        return [(media_from_row(row), self.blobs.path(row["sha256"])) for row in rows]

    async def fetch(self, caller: Caller, media_id: str, *, thumbnail: bool = False) -> Stored:
        """The file of ``media_id`` (or its thumbnail), if the caller may see it; else NotFound."""

        def read(tx: Tx) -> Stored:
            row = store.media(tx, media_id)
            if row is None or not self._may_see(tx, caller.user_id, row):
                raise NotFound(_NO_MEDIA)
            if thumbnail:
                if row["kind"] not in (IMAGE, VIDEO):
                    raise NotFound("only images and videos have thumbnails", "no_thumbnail")
                if row["thumb_sha256"]:
                    sha = row["thumb_sha256"]
                    mime = "image/jpeg" if row["kind"] == VIDEO else "image/webp"  # a video's poster
                    return Stored(self.blobs.path(sha), sha, mime, 0, IMAGE, "")
                if row["kind"] == VIDEO:
                    raise NotFound("this video has no poster", "no_thumbnail")
            sha = row["sha256"]
            return Stored(self.blobs.path(sha), sha, row["mime"], row["size"], row["kind"], row["name"])

        return await self.db.read(read)

    async def fetch_group_picture(self, conversation_id: int, media_id: str) -> Stored:
        """The thumbnail (or, until it is made, the image) of a group's picture, for someone who is
        not a member but holds a working invite link of the group (kith.chats checked the link)."""

        def read(tx: Tx) -> Stored:
            row = store.media(tx, media_id)
            refs = store.refs(tx, media_id) if row is not None else []
            if (
                row is None
                or row["kind"] != IMAGE
                or not any(r["ref_kind"] == REF_GROUP_AVATAR and r["ref_id"] == conversation_id for r in refs)
            ):
                raise NotFound(_NO_MEDIA)
            if row["thumb_sha256"]:
                return Stored(self.blobs.path(row["thumb_sha256"]), row["thumb_sha256"], "image/webp", 0, IMAGE, "")
            return Stored(self.blobs.path(row["sha256"]), row["sha256"], row["mime"], row["size"], IMAGE, "")

        return await self.db.read(read)

    async def fetch_for_account(self, owner_id: int, account_id: int, media_id: str, *, poster: bool = False) -> Stored:
        """A file as an official account's server may fetch it: its owner's uploads, and what its
        followers sent in their conversations with it; with ``poster``, a video's poster."""

        def read(tx: Tx) -> Stored:
            row = store.media(tx, media_id)
            if row is None:
                raise NotFound(_NO_MEDIA)
            if row["owner_id"] != owner_id:
                messages = [r["ref_id"] for r in store.refs(tx, media_id) if r["ref_kind"] == REF_MESSAGE]
                if account_id not in chats.accounts_of_messages(tx, messages):
                    raise NotFound(_NO_MEDIA)
            if poster:
                if row["kind"] != VIDEO or not row["thumb_sha256"]:
                    raise NotFound(_NO_MEDIA)
                return Stored(self.blobs.path(row["thumb_sha256"]), row["thumb_sha256"], "image/jpeg", 0, IMAGE, "")
            sha = row["sha256"]
            return Stored(self.blobs.path(sha), sha, row["mime"], row["size"], row["kind"], row["name"])

        return await self.db.read(read)

    def _may_see(self, tx: Tx, viewer: int, row: object) -> bool:
        if row["owner_id"] == viewer:  # type: ignore[index]
            return True
        refs = store.refs(tx, row["id"])  # type: ignore[index]
        messages = [r["ref_id"] for r in refs if r["ref_kind"] == REF_MESSAGE]
        if messages and chats.visible_messages(tx, viewer, messages):
            return True
        posts = [r["ref_id"] for r in refs if r["ref_kind"] == REF_MOMENT_POST]
        if posts and moments.visible_posts(tx, viewer, posts, self.clock.now_ms()):
            return True
        for r in refs:
            if r["ref_kind"] == REF_GROUP_AVATAR and chats.is_member(tx, r["ref_id"], viewer):
                return True
            if r["ref_kind"] == REF_USER_AVATAR and not contacts.relation(tx, viewer, r["ref_id"])["blocked_by"]:
                return True
            if r["ref_kind"] in (REF_ACCOUNT_AVATAR, REF_ACCOUNT_NEWS):
                return True
        return False

    # -- outbox jobs -------------------------------------------------------------------------

    async def on_thumbnail(self, payload: bytes) -> None:
        media_id = decode(payload)["media_id"]
        row = await self.db.read(store.media, media_id)
        if row is None or row["thumb_sha256"] or row["kind"] != IMAGE:
            return
        target = self.blobs.temporary()
        try:
            async with self._gate:
                sha, size = await asyncio.to_thread(self._thumbnail, self.blobs.path(row["sha256"]), target)
            await self.db.write(self._record_thumbnail, media_id, target, sha, size, self.clock.now_ms())
        finally:
            target.unlink(missing_ok=True)

    @staticmethod
    def _thumbnail(source: Path, target: Path) -> tuple[str, int]:
        inspect.thumbnail(source, target)
        fsync(target)
        return sha256_of(target), target.stat().st_size

    def _record_thumbnail(self, tx: Tx, media_id: str, path: Path, sha256: str, size: int, now: int) -> None:
        row = store.lock_media(tx, media_id)
        if row is None or row["thumb_sha256"]:
            return
        store.use_blob(tx, sha256, size, now)
        self.blobs.place(path, sha256)
        store.set_thumbnail(tx, media_id, sha256)

    async def on_sweep(self, payload: bytes) -> None:
        await self.writer.run(self._sweep, decode(payload)["media_id"])
        await asyncio.to_thread(self.blobs.clean_temporary, STALE_UPLOAD_S)

    def _sweep(self, tx: Tx, log: EventLog, media_id: str) -> None:
        row = store.lock_media(tx, media_id)
        if row is None or store.has_refs(tx, media_id):
            return
        due = row["created_at"] + self.caps.sweep_grace_ms
        if log.now < due:  # let go of before its grace period ended: come back then
            log.enqueue(SWEEP, encode({"media_id": media_id}), due - log.now)
            return
        store.delete_media(tx, media_id)
        for sha in (row["sha256"], row["thumb_sha256"]):
            if sha and store.release_blob(tx, sha):
                self.blobs.delete(sha)
