"""Finding people, friend requests, friends and blocks."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from kith.accounts.models import User
from kith.contacts.models import Friend, FriendRequest, Relationship
from kith.http.api.accounts import Strict
from kith.http.api.fields import Greeting, Handle, Id, InviteToken, Remark, exactly_one
from kith.http.endpoint import Call


class LookupQuery(msgspec.Struct):
    handle: Annotated[Handle, Meta(description="The exact handle of the person to find")]


class RequestIn(Strict):
    """Give ``handle`` for someone you found by their handle, ``invite`` for the token of someone's
    invite link, or ``user_id`` for someone you already know (a friend, a pending request, someone you
    blocked, someone you share a conversation with)."""

    schema_extra = exactly_one("user_id", "handle", "invite")

    user_id: Annotated[Id | None, Meta(description="Someone you already know (give this, `handle` or `invite`)")] = None
    handle: Annotated[Handle | None, Meta(description="Whom to ask, by handle (give this, `user_id` or `invite`)")] = (
        None
    )
    invite: Annotated[
        InviteToken | None, Meta(description="The token of their invite link (give this, `user_id` or `handle`)")
    ] = None
    greeting: Greeting = ""


class BlockIn(Strict):
    handle: Annotated[Handle, Meta(description="The handle of the person to block")]


class RemarkIn(Strict):
    remark: Remark


class FriendsOut(msgspec.Struct):
    friends: Annotated[list[Friend], Meta(description="Your friends")]


class RequestsOut(msgspec.Struct):
    incoming: Annotated[list[FriendRequest], Meta(description="Pending requests to you")]
    outgoing: Annotated[list[FriendRequest], Meta(description="Pending requests you sent")]


class RequestOut(msgspec.Struct):
    request: Annotated[FriendRequest, Meta(description="The request as it is now")]
    friend: Annotated[Friend | None, Meta(description="Your new friend, when the request made you friends (an accept, "
                                         "or a request meeting theirs); otherwise null")] = None  # fmt: skip
    conversation_id: Annotated[int | None, Meta(description="When the request made you friends: your chat, opened "
                                                "on both sides, the greeting its first message")] = None  # fmt: skip


class BlockedOut(msgspec.Struct):
    users: Annotated[list[User], Meta(description="The people you have blocked")]


async def lookup(call: Call) -> Relationship:
    return await call.services.contacts.find(call.caller, call.query.handle)


async def friends(call: Call) -> FriendsOut:
    return FriendsOut(await call.services.contacts.friends(call.caller))


async def remove_friend(call: Call) -> None:
    await call.services.contacts.remove_friend(call.caller, call.path["user_id"])


async def set_remark(call: Call) -> Friend:
    return await call.services.contacts.set_remark(call.caller, call.path["user_id"], call.body.remark)


async def requests(call: Call) -> RequestsOut:
    return RequestsOut(**await call.services.contacts.requests(call.caller))


async def send_request(call: Call) -> RequestOut:
    b: RequestIn = call.body
    result = await call.services.contacts.send_request(
        call.caller, b.user_id, b.greeting, handle=b.handle, invite=b.invite
    )
    return RequestOut(**result)


async def accept_request(call: Call) -> RequestOut:
    return RequestOut(**await call.services.contacts.accept(call.caller, call.path["request_id"]))


async def decline_request(call: Call) -> RequestOut:
    return RequestOut(await call.services.contacts.decline(call.caller, call.path["request_id"]))


async def cancel_request(call: Call) -> RequestOut:
    return RequestOut(await call.services.contacts.cancel(call.caller, call.path["request_id"]))


async def blocked(call: Call) -> BlockedOut:
    return BlockedOut(await call.services.contacts.blocked(call.caller))


async def block(call: Call) -> None:
    await call.services.contacts.block(call.caller, call.path["user_id"])


async def block_handle(call: Call) -> None:
    await call.services.contacts.block(call.caller, handle=call.body.handle)


async def unblock(call: Call) -> None:
    await call.services.contacts.unblock(call.caller, call.path["user_id"])
