"""Friends by mutual consent, and blocks.

Nobody can message a stranger: a direct conversation needs a friendship, and a friendship needs a
request that the other side accepted. A blocked user is never told: their requests and direct
messages look sent to them, and simply never arrive.

Nobody learns a profile from an id alone. A stranger is reached by their exact handle (as
``find`` does); the verbs that take a user id accept only someone the caller already knows
(``store.related``) and answer for anyone else exactly as for an id nobody has, so walking ids
reveals nothing.
"""

from __future__ import annotations

from typing import Any

from kith import validation
from kith.accounts import access as accounts
from kith.accounts.models import Caller, User, user_from_row
from kith.chats import access as chats
from kith.contacts import store
from kith.contacts.models import (
    CONTACT_BLOCKED,
    CONTACT_UNBLOCKED,
    FRIEND_ADDED,
    FRIEND_REMOVED,
    FRIEND_REQUEST,
    FRIEND_UPDATED,
    MAX_GREETING,
    MAX_REMARK,
    Friend,
    FriendRequest,
    InviteCard,
    InviteLink,
    Relationship,
)
from kith.contacts.views import friend_model, request_model
from kith.errors import Conflict, Invalid, NotFound
from kith.events import EventLog, Writer
from kith.invitekey import InviteKey, check_token, digest
from kith.jsonenc import encode
from kith.push import access as push
from kith.ratelimit import Limits
from kith.storage.database import Database, Row, Tx

_NO_USER = "no such user"


def _known_user(tx: Tx, me: int, user_id: int) -> Row:
    """The profile of ``user_id`` if the caller already knows them; otherwise the same NotFound
    as for an id nobody has, after the same one query (the relation is asked first)."""
    row = accounts.user(tx, user_id) if store.related(tx, me, user_id) else None
    if row is None:
        raise NotFound(_NO_USER)
    return row


def _user_by_handle(tx: Tx, handle: str) -> Row:
    row = accounts.user_by_handle(tx, handle)
    if row is None:
        raise NotFound("nobody has that handle", "no_such_handle")
    return row


def _target(user_id: int | None, handle: str | None, invite: str | None = None) -> str | None:
    """Check that exactly one of ``user_id``, ``handle`` and ``invite`` is given; the handle, normalized."""
    values = (("user_id", user_id), ("handle", handle), ("invite", invite))
    given = [name for name, value in values if value is not None]
    if len(given) != 1:
        names = "user_id, handle or invite" if invite is not None or not given else "user_id or handle"
        raise Invalid(f"give {names} (one of them)", field=given[-1] if given else "user_id")
    if user_id is not None:
        validation.positive_id(user_id, "user_id")
        return None
    if invite is not None:
        check_token(invite, "invite")
        return None
    assert handle is not None
    return accounts.check_handle(handle)


_NO_INVITE = "this invite link does not work (any more)"


def _inviter(tx: Tx, me: int, token: str) -> Row:
    """The owner of an invite link as ``me`` may see it: the same NotFound for a token nobody has, a
    rotated one, a deleted account's and one whose owner blocked ``me``."""
    row = store.inviter(tx, digest(token), me)
    if row is None:
        raise NotFound(_NO_INVITE, "no_such_invite")
    return row


def _resolve(tx: Tx, me: int, user_id: int | None, handle: str | None, invite: str | None = None) -> Row:
    if handle is not None:
        return _user_by_handle(tx, handle)
    if invite is not None:
        return _inviter(tx, me, invite)
    assert user_id is not None
    return _known_user(tx, me, user_id)


class ContactService:
    def __init__(self, db: Database, writer: Writer, max_friends: int, limits: Limits, key: InviteKey) -> None:
        self.limits = limits
        self.db = db
        self.writer = writer
        self.max_friends = max_friends
        self.key = key

    # -- reading -----------------------------------------------------------------------------

    async def find(self, caller: Caller, handle: str) -> Relationship:
        handle = accounts.check_handle(handle)

        def find(tx: Tx) -> Relationship:
            row = _user_by_handle(tx, handle)
            other = row["id"]
            outgoing = store.pending_request(tx, caller.user_id, other)
            incoming = store.pending_request(tx, other, caller.user_id)
            return Relationship(
                user=user_from_row(row),
                is_friend=store.are_friends(tx, caller.user_id, other),
                is_self=other == caller.user_id,
                outgoing_request_id=outgoing["id"] if outgoing else None,
                incoming_request_id=incoming["id"] if incoming and not incoming["silenced"] else None,
                blocked=store.has_blocked(tx, caller.user_id, other),
            )

        return await self.db.read(find)

    async def friends(self, caller: Caller) -> list[Friend]:
        rows = await self.db.read(store.friends, caller.user_id)
        return [Friend(user_from_row(r), r["remark"], r["created_at"], bool(r["blocked"])) for r in rows]

    async def requests(self, caller: Caller) -> dict[str, list[FriendRequest]]:
        def read(tx: Tx) -> dict[str, list[FriendRequest]]:
            result: dict[str, list[FriendRequest]] = {"incoming": [], "outgoing": []}
            for row in store.open_requests(tx, caller.user_id):
                side = "outgoing" if row["from_id"] == caller.user_id else "incoming"
                result[side].append(request_model(tx, row))
            return result

        return await self.db.read(read)

    async def blocked(self, caller: Caller) -> list[User]:
        return [user_from_row(r) for r in await self.db.read(store.blocked, caller.user_id)]

    # -- requests ----------------------------------------------------------------------------

    async def send_request(
        self,
        caller: Caller,
        user_id: int | None = None,
        greeting: str = "",
        *,
        handle: str | None = None,
        invite: str | None = None,
    ) -> dict[str, Any]:
        """Ask someone to be friends: a stranger by ``handle`` or through their ``invite`` link's
        token, someone the caller already knows by ``user_id``. If they already asked the caller,
        this accepts instead."""
        await self.limits.take("friend_request_user", caller.user_id)
        handle = _target(user_id, handle, invite)
        if invite is not None:
            await self.limits.take("invite_user", caller.user_id)
        greeting = validation.line(greeting, "greeting", MAX_GREETING, allow_empty=True)
        me = caller.user_id
        if user_id == me:
            raise Invalid("you cannot befriend yourself", "self_request", field="user_id")

        def send(tx: Tx, log: EventLog) -> dict[str, Any]:
            now = log.now
            other = _resolve(tx, me, user_id, handle, invite)["id"]
            if other == me:
                raise Invalid("you cannot befriend yourself", "self_request", field="invite" if invite else "handle")
            if store.are_friends(tx, me, other):
                raise Conflict("you are already friends", "already_friends")
            if store.has_blocked(tx, me, other):
                raise Conflict("you have blocked this person; unblock them first", "blocked_by_you")
            theirs = store.pending_request(tx, other, me)
            if theirs is not None and not theirs["silenced"]:
                return self._accept(tx, log, theirs, greeting)  # both asked: both greetings open the chat
            if store.friend_count(tx, me) >= self.max_friends:
                raise Conflict(f"you already have {self.max_friends} friends", "friend_limit")
            mine = store.pending_request(tx, me, other)
            if mine is not None:  # asking again refreshes the greeting
                store.update_request(tx, mine["id"], now, greeting=greeting)
                request_id, silenced = mine["id"], bool(mine["silenced"])
            else:
                silenced = store.has_blocked(tx, other, me)
                request_id = store.insert_request(tx, me, other, greeting, silenced, now)
            request = request_model(tx, store.request(tx, request_id))
            data = encode({"request": request})
            log.append(me, FRIEND_REQUEST, data)
            if not silenced:
                log.append(other, FRIEND_REQUEST, data)
                push.notify_request(tx, log, other, request_id)
            return {"request": request, "friend": None, "conversation_id": None}

        return await self.writer.run(send)

    def _accept(self, tx: Tx, log: EventLog, row: Row, reply: str = "") -> dict[str, Any]:
        """Make the two friends and open their chat, the greeting (and ``reply``, the accepter's
        own when they asked back) at its start, in the same transaction (docs/contacts.md)."""
        requester, accepter = row["from_id"], row["to_id"]
        if store.friend_count(tx, accepter) >= self.max_friends:
            raise Conflict(f"you already have {self.max_friends} friends", "friend_limit")
        if store.friend_count(tx, requester) >= self.max_friends:
            raise Conflict("they cannot add more friends", "friend_limit")
        store.update_request(tx, row["id"], log.now, status="accepted")
        reverse = store.pending_request(tx, accepter, requester)
        if reverse is not None:
            store.update_request(tx, reverse["id"], log.now, status="accepted")
        store.add_friendship(tx, requester, accepter, log.now)
        for me, other in ((requester, accepter), (accepter, requester)):
            log.append(me, FRIEND_ADDED, encode({"friend": friend_model(tx, me, other), "request_id": row["id"]}))
        greetings = [(requester, row["greeting"]), (accepter, reply)]
        conversation_id = chats.befriended(tx, log, requester, accepter, greetings)
        return {
            "request": request_model(tx, store.request(tx, row["id"])),
            "friend": friend_model(tx, accepter, requester),
            "conversation_id": conversation_id,
        }

    def _own_pending(self, tx: Tx, request_id: int, caller: Caller, side: str) -> Row:
        row = store.request(tx, request_id)
        if row is None or row[side] != caller.user_id or (side == "to_id" and row["silenced"]):
            raise NotFound("no such friend request")
        if row["status"] != "pending":
            raise Conflict(f"this request was already {row['status']}", "request_closed")
        return row

    async def accept(self, caller: Caller, request_id: int) -> dict[str, Any]:
        def accept(tx: Tx, log: EventLog) -> dict[str, Any]:
            return self._accept(tx, log, self._own_pending(tx, request_id, caller, "to_id"))

        return await self.writer.run(accept)

    async def decline(self, caller: Caller, request_id: int) -> FriendRequest:
        """Decline quietly: the requester is not told (their request simply stays unanswered)."""

        def decline(tx: Tx, log: EventLog) -> FriendRequest:
            return self._decline(tx, log, self._own_pending(tx, request_id, caller, "to_id"))

        return await self.writer.run(decline)

    def _decline(self, tx: Tx, log: EventLog, row: Row) -> FriendRequest:
        store.update_request(tx, row["id"], log.now, status="declined")
        request = request_model(tx, store.request(tx, row["id"]))
        log.append(row["to_id"], FRIEND_REQUEST, encode({"request": request}))
        return request

    async def cancel(self, caller: Caller, request_id: int) -> FriendRequest:
        def cancel(tx: Tx, log: EventLog) -> FriendRequest:
            return self._cancel(tx, log, self._own_pending(tx, request_id, caller, "from_id"))

        return await self.writer.run(cancel)

    def _cancel(self, tx: Tx, log: EventLog, row: Row, quietly: bool = False) -> FriendRequest:
        store.update_request(tx, row["id"], log.now, status="cancelled")
        request = request_model(tx, store.request(tx, row["id"]))
        data = encode({"request": request})
        log.append(row["from_id"], FRIEND_REQUEST, data)
        if not row["silenced"] and not quietly:
            log.append(row["to_id"], FRIEND_REQUEST, data)
        return request

    # -- invite links ------------------------------------------------------------------------

    async def invite_link(self, caller: Caller) -> InviteLink:
        """The caller's invite link, made on first use (and made again if it was made with another key)."""
        row = await self.db.read(store.invite_link, caller.user_id)
        token = self.key.recoverable(row["nonce"], row["token_hash"]) if row is not None else None
        if row is not None and token is not None:
            return InviteLink(token, row["created_at"])
        return await self.rotate_invite(caller)

    async def rotate_invite(self, caller: Caller) -> InviteLink:
        """A new invite link for the caller: the old one stops working at once."""
        token, nonce, token_hash = self.key.new()

        def rotate(tx: Tx, log: EventLog) -> InviteLink:
            store.set_invite_link(tx, caller.user_id, token_hash, nonce, log.now)
            return InviteLink(token, log.now)

        return await self.writer.run(rotate)

    async def open_invite(self, caller: Caller, token: str) -> InviteCard:
        """What someone's invite link shows the caller: their name and picture, and where the two
        stand. A link that does not work, whyever, is the one NotFound."""
        check_token(token)
        await self.limits.take("invite_user", caller.user_id)
        me = caller.user_id

        def read(tx: Tx) -> InviteCard:
            row = _inviter(tx, me, token)
            other = row["id"]
            user = user_from_row(row)
            friends = store.are_friends(tx, me, other)
            return InviteCard(
                display_name=user.display_name,
                avatar=user.avatar,
                is_self=other == me,
                is_friend=friends,
                requested=store.pending_request(tx, me, other) is not None,
                user_id=other if friends or other == me else None,
            )

        return await self.db.read(read)

    # -- friends -----------------------------------------------------------------------------

    async def remove_friend(self, caller: Caller, friend_id: int) -> None:
        def remove(tx: Tx, log: EventLog) -> None:
            if not store.remove_friendship(tx, caller.user_id, friend_id):
                raise NotFound("not a friend of yours")
            log.append(caller.user_id, FRIEND_REMOVED, encode({"user_id": friend_id}))
            log.append(friend_id, FRIEND_REMOVED, encode({"user_id": caller.user_id}))

        await self.writer.run(remove)

    async def set_remark(self, caller: Caller, friend_id: int, remark: str) -> Friend:
        remark = validation.line(remark, "remark", MAX_REMARK, allow_empty=True)

        def set_remark(tx: Tx, log: EventLog) -> Friend:
            if not store.set_remark(tx, caller.user_id, friend_id, remark):
                raise NotFound("not a friend of yours")
            friend = friend_model(tx, caller.user_id, friend_id)
            log.append(caller.user_id, FRIEND_UPDATED, encode({"friend": friend}))
            return friend

        return await self.writer.run(set_remark)

    # -- blocks ------------------------------------------------------------------------------

    async def block(self, caller: Caller, user_id: int | None = None, *, handle: str | None = None) -> None:
        """Block someone: a stranger by ``handle``, someone the caller already knows by ``user_id``."""
        handle = _target(user_id, handle)
        me = caller.user_id
        if user_id == me:
            raise Invalid("you cannot block yourself", field="user_id")

        def block(tx: Tx, log: EventLog) -> None:
            row = _resolve(tx, me, user_id, handle)
            other = row["id"]
            if other == me:
                raise Invalid("you cannot block yourself", field="handle")
            if not store.block(tx, me, other, log.now):
                return  # already blocked: nothing changes
            theirs = store.pending_request(tx, other, me)
            if theirs is not None and not theirs["silenced"]:
                self._decline(tx, log, theirs)  # as quiet as any decline
            mine = store.pending_request(tx, me, other)
            if mine is not None:
                self._cancel(tx, log, mine, quietly=True)  # the blocked user is not told of this either
            log.append(me, CONTACT_BLOCKED, encode({"user": user_from_row(row)}))

        await self.writer.run(block)

    async def unblock(self, caller: Caller, user_id: int) -> None:
        def unblock(tx: Tx, log: EventLog) -> None:
            if not store.unblock(tx, caller.user_id, user_id):
                raise NotFound("you have not blocked this user")
            log.append(caller.user_id, CONTACT_UNBLOCKED, encode({"user_id": user_id}))

        await self.writer.run(unblock)
