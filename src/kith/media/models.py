"""Media as the rest of kith sees them: the ``Media`` value, the kinds, and the limits."""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

IMAGE = "image"
VOICE = "voice"
FILE = "file"
VIDEO = "video"
KINDS = (IMAGE, VOICE, FILE, VIDEO)

# what refers to a media file (media_refs.ref_kind)
REF_MESSAGE = "message"
REF_USER_AVATAR = "user_avatar"
REF_GROUP_AVATAR = "group_avatar"
REF_ACCOUNT_AVATAR = "account_avatar"  # an official account's picture: as public as its name
REF_ACCOUNT_NEWS = "account_news"  # a picture in an account's articles: as public as their link
REF_ACCOUNT_MATERIAL = "account_material"  # an account's permanent material (ref_id: the account): its owner's
REF_MASS_SEND = "mass_send"  # a mass send's picture or voice note, until its fan-out is done
REF_MOMENT_POST = "moment_post"  # an image in a Moments post: seen by whoever sees the post

MEDIA_ID = re.compile(r"\A[A-Za-z0-9_-]{22}\Z")  # 128 random bits, URL-safe base64
THUMBNAIL_EDGE = 400  # px, the longer side of a thumbnail
MAX_NAME_BYTES = 255


class Media(msgspec.Struct):
    """An upload, as its uploader and those it was shared with see it."""

    id: str
    kind: str
    mime: str
    size: int
    name: str
    width: int | None
    height: int | None
    duration_ms: int | None
    created_at: int


class Usage(msgspec.Struct):
    used_bytes: int
    quota_bytes: int  # 0: no quota


@dataclass(frozen=True)
class MediaLimits:
    """What uploads keep to (from the settings table; see docs/settings.md)."""

    image_max_bytes: int = 20 * 1024 * 1024
    image_max_pixels: int = 40_000_000
    voice_max_bytes: int = 2 * 1024 * 1024
    voice_max_ms: int = 60_000
    file_max_bytes: int = 100 * 1024 * 1024
    video_max_bytes: int = 50 * 1024 * 1024
    video_max_ms: int = 300_000
    quota_bytes: int = 2 * 1024 * 1024 * 1024
    sweep_grace_ms: int = 86_400_000
    process_concurrency: int = 2
    uploads_at_once: int = 4  # per user and node

    def max_bytes(self, kind: str) -> int:
        limits = {IMAGE: self.image_max_bytes, VOICE: self.voice_max_bytes, VIDEO: self.video_max_bytes}
        return limits.get(kind, self.file_max_bytes)


def media_from_row(row: object) -> Media:
    r = row  # a mapping-style row of the media table
    return Media(
        r["id"], r["kind"], r["mime"], r["size"], r["name"],  # type: ignore[index]
        r["width"], r["height"], r["duration_ms"], r["created_at"],  # type: ignore[index]
    )  # fmt: skip
