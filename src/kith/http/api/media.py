"""Uploads, downloads and avatars (docs/media.md)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta
from starlette.responses import FileResponse, Response

from kith.chats.models import Conversation
from kith.errors import NotFound
from kith.http.api.accounts import Strict
from kith.http.bodies import Upload
from kith.http.endpoint import Call
from kith.media.models import KINDS, MEDIA_ID, Media, Usage

MediaId = Annotated[str, Meta(pattern="^[A-Za-z0-9_-]{22}$", description="A media id (22 URL-safe characters)")]
Kind = Annotated[
    str,
    Meta(
        description="What the upload is meant to be, checked against its content: `image`, `voice`, `video` or "
        "`file` (given in the query or as a form field)",
        extra_json_schema={"enum": list(KINDS)},
    ),
]
Name = Annotated[
    str,
    Meta(
        description="The file's name, shown and offered as the download's name (default: the file part's filename); "
        "at most 255 bytes of UTF-8, no `/`, `\\` or control characters"
    ),
]


class UploadQuery(msgspec.Struct):
    kind: Kind | None = None
    name: Name | None = None


class UploadBody(msgspec.Struct, forbid_unknown_fields=True):
    """A multipart form with one file part named ``file`` (``kind`` and ``name`` may come before
    it), or the raw bytes with any other Content-Type."""

    file: Annotated[bytes, Meta(description="The file itself (the form's last part)")]
    kind: Kind | None = None
    name: Name | None = None


class AvatarIn(Strict):
    media_id: Annotated[MediaId, Meta(description="An image you uploaded (POST /api/v1/media, kind `image`)")]


# what an id names never changes; only those allowed may fetch it, so no shared cache may keep it
_MEDIA_HEADERS = {
    "Cache-Control": "private, max-age=31536000, immutable",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}


async def upload(call: Call) -> tuple[Media, int]:
    body: Upload = call.body
    q: UploadQuery = call.query
    kind = q.kind or body.fields.get("kind") or ""
    name = q.name if q.name is not None else body.fields.get("name", body.filename)
    media = await call.services.media.do_upload(call.caller, kind, name, body.chunks, declared=body.declared)
    return media, 201


async def _serve(call: Call, *, thumbnail: bool) -> Response:
    media_id = call.path["media_id"]
    if not MEDIA_ID.match(media_id):
        raise NotFound("no such media")
    stored = await call.services.media.fetch(call.caller, media_id, thumbnail=thumbnail)
    etag = f'"{stored.sha256}"'
    headers = {**_MEDIA_HEADERS, "ETag": etag}
    if _matches(call.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    try:
        stat = stored.path.stat()
    except FileNotFoundError:  # swept between the read and now
        raise NotFound("no such media") from None
    inline = stored.kind != "file"
    return FileResponse(
        stored.path,
        media_type=stored.mime if inline else "application/octet-stream",
        headers=headers,
        filename=stored.name or None,
        content_disposition_type="inline" if inline else "attachment",
        stat_result=stat,
    )


def _matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2): ``*``, or the tag with or without W/."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


async def download(call: Call) -> Response:
    return await _serve(call, thumbnail=False)


async def thumbnail(call: Call) -> Response:
    return await _serve(call, thumbnail=True)


async def storage(call: Call) -> Usage:
    return await call.services.media.usage(call.caller)


async def set_avatar(call: Call) -> object:
    return await call.services.accounts.set_avatar(call.caller, call.body.media_id)


async def remove_avatar(call: Call) -> object:
    return await call.services.accounts.set_avatar(call.caller, None)


async def set_group_avatar(call: Call) -> Conversation:
    return await call.services.chats.set_group_avatar(call.caller, call.path["conversation_id"], call.body.media_id)


async def remove_group_avatar(call: Call) -> Conversation:
    return await call.services.chats.set_group_avatar(call.caller, call.path["conversation_id"], None)
