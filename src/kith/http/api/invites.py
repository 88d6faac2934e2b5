"""Invite links: your own (a friend request to you), a group's (joining it), and their QR codes.

A token travels in a request body, never in a path or a query, so it stays out of access logs;
the links people share are ``<base>/#/invite/<token>`` and ``<base>/#/join/<token>``, whose
fragment no browser sends to any server.
"""

from __future__ import annotations

import io
from typing import Annotated

import msgspec
import segno
from msgspec import Meta
from starlette.responses import FileResponse, Response

from kith.chats.models import (
    LINK_DEFAULT_SECONDS,
    LINK_MAX_SECONDS,
    LINK_MIN_SECONDS,
    MAX_LINK_USES,
    Conversation,
    GroupCard,
    GroupLink,
)
from kith.contacts.models import InviteCard, InviteLink
from kith.errors import NotFound
from kith.http.api.accounts import Strict
from kith.http.api.fields import InviteToken
from kith.http.endpoint import Call

ExpiresIn = Annotated[
    int,
    Meta(
        description="Seconds the link works for",
        extra_json_schema={"minimum": LINK_MIN_SECONDS, "maximum": LINK_MAX_SECONDS},
    ),
]
MaxUses = Annotated[
    int, Meta(description="How many people may join by it", extra_json_schema={"minimum": 1, "maximum": MAX_LINK_USES})
]

# an image of a QR code: drawn here, never cached, and nothing in it may run or load
QR_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; sandbox"}


class TokenIn(Strict):
    token: InviteToken


class GroupLinkIn(Strict):
    expires_in: ExpiresIn = LINK_DEFAULT_SECONDS
    max_uses: MaxUses | None = None


class InviteLinkOut(msgspec.Struct):
    token: Annotated[str, Meta(description="The link's token (24 URL-safe characters): what opening and asking "
                               "through the link take, in the body")]  # fmt: skip
    url: Annotated[str, Meta(description="The link to share, `<base>/#/invite/<token>` (shown as the QR code)")]
    created_at: Annotated[int, Meta(description="When the link was made, milliseconds since the Unix epoch")]


class GroupLinkOut(msgspec.Struct):
    id: Annotated[int, Meta(description="The link's id (to revoke it)")]
    conversation_id: Annotated[int, Meta(description="The group it leads to")]
    # None for a link made under another invite key (docs/contacts.md): revoke it
    token: Annotated[str | None, Meta(description="The link's token (24 URL-safe characters); null for a link made "
                                      "under another invite key, which no longer works: revoke it")]  # fmt: skip
    url: Annotated[str | None, Meta(description="The link to share, `<base>/#/join/<token>` (null with the token)")]
    created_by: Annotated[int, Meta(description="The member who made it")]
    created_at: Annotated[int, Meta(description="When it was made, milliseconds since the Unix epoch")]
    expires_at: Annotated[int, Meta(description="When it stops working, milliseconds since the Unix epoch")]
    max_uses: Annotated[int | None, Meta(description="How many may join by it (null: no limit but its time)")]
    uses: Annotated[int, Meta(description="How many have joined by it")]


class GroupLinksOut(msgspec.Struct):
    links: Annotated[
        list[GroupLinkOut],
        Meta(description="The group's working links: all of them to the owner, a member's own to them"),
    ]


def _invite_out(call: Call, link: InviteLink) -> InviteLinkOut:
    return InviteLinkOut(link.token, f"{call.base_url}/#/invite/{link.token}", link.created_at)


def _group_out(call: Call, link: GroupLink) -> GroupLinkOut:
    url = f"{call.base_url}/#/join/{link.token}" if link.token else None
    return GroupLinkOut(**msgspec.structs.asdict(link), url=url)


def qr_svg(text: str) -> Response:
    """``text`` as a QR code, an SVG image (dark modules on white, with a quiet zone)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=4, border=4, xmldecl=False, dark="#000", light="#fff")
    return Response(out.getvalue(), media_type="image/svg+xml", headers=QR_HEADERS)


# -- your own link ---------------------------------------------------------------------------------


async def my_link(call: Call) -> InviteLinkOut:
    return _invite_out(call, await call.services.contacts.invite_link(call.caller))


async def rotate_link(call: Call) -> InviteLinkOut:
    return _invite_out(call, await call.services.contacts.rotate_invite(call.caller))


async def my_link_qr(call: Call) -> Response:
    return qr_svg(_invite_out(call, await call.services.contacts.invite_link(call.caller)).url)


async def open_invite(call: Call) -> InviteCard:
    return await call.services.contacts.open_invite(call.caller, call.body.token)


# -- a group's links ---------------------------------------------------------------------------------


async def create_group_link(call: Call) -> GroupLinkOut:
    b: GroupLinkIn = call.body
    link = await call.services.chats.create_link(call.caller, call.path["conversation_id"], b.expires_in, b.max_uses)
    return _group_out(call, link)


async def group_links(call: Call) -> GroupLinksOut:
    links = await call.services.chats.links(call.caller, call.path["conversation_id"])
    return GroupLinksOut([_group_out(call, link) for link in links])


async def revoke_group_link(call: Call) -> None:
    await call.services.chats.revoke_link(call.caller, call.path["conversation_id"], call.path["link_id"])


async def group_link_qr(call: Call) -> Response:
    link = await call.services.chats.link(call.caller, call.path["conversation_id"], call.path["link_id"])
    url = _group_out(call, link).url
    if url is None:
        raise NotFound("this link was made under another invite key: revoke it and make another", "no_such_link")
    return qr_svg(url)


async def open_group_link(call: Call) -> GroupCard:
    return await call.services.chats.open_link(call.caller, call.body.token)


async def group_link_picture(call: Call) -> Response:
    """The picture of the group a working link leads to, as its thumbnail (a visitor is not a member,
    so the media route would not serve it to them)."""
    conversation_id, media_id = await call.services.chats.link_picture(call.caller, call.body.token)
    stored = await call.services.media.fetch_group_picture(conversation_id, media_id)
    try:
        stat = stored.path.stat()
    except FileNotFoundError:  # swept between the read and now
        raise NotFound("this group has no picture", "no_picture") from None
    headers = {"Cache-Control": "private, no-store", "Content-Security-Policy": "default-src 'none'; sandbox"}
    return FileResponse(stored.path, media_type=stored.mime, headers=headers, stat_result=stat)


async def join_group(call: Call) -> Conversation:
    return await call.services.chats.join(call.caller, call.body.token)
