"""Conversations, groups and messages: the verbs of chatting.

Every verb authorizes inside the same write transaction that changes state, so a check can never
go stale between the check and the change. Non-members get ``NotFound`` for a conversation that
exists: a conversation you are not in is indistinguishable from one that does not exist.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from kith import validation
from kith.accounts import access as accounts
from kith.accounts.models import Caller, User, user_from_row
from kith.chats import search, store
from kith.chats.models import (
    CLIENT_ID,
    CONVERSATION_JOINED,
    CONVERSATION_LEFT,
    CONVERSATION_PREFS,
    CONVERSATION_READ,
    DIRECT,
    GROUP,
    LINK_DEFAULT_SECONDS,
    LINK_MAX_SECONDS,
    LINK_MIN_SECONDS,
    LOCATION,
    MAX_GROUP_LINKS,
    MAX_GROUP_NAME,
    MAX_LINK_USES,
    MAX_MENTIONS,
    MAX_PLACE_LABEL,
    MESSAGE,
    MESSAGE_HIDDEN,
    MESSAGE_RECALLED,
    OFFICIAL,
    QUOTE_CHARS,
    SYSTEM,
    TEXT,
    Ack,
    ChatLimits,
    Conversation,
    GroupCard,
    GroupLink,
    Location,
    Member,
    Message,
    Quote,
    message_from_row,
)
from kith.clock import Clock
from kith.contacts import access as contacts
from kith.errors import Conflict, Forbidden, Invalid, NotFound
from kith.events import EventLog, Writer
from kith.invitekey import InviteKey, check_token, digest
from kith.jsonenc import decode, encode, encode_str
from kith.media import access as media
from kith.media.models import IMAGE, MEDIA_ID, REF_GROUP_AVATAR, REF_MESSAGE, VIDEO, VOICE
from kith.media.models import KINDS as MEDIA_KINDS
from kith.platform import access as platform
from kith.push import access as push
from kith.ratelimit import Limits
from kith.storage.database import Database, Row, Tx

_NO_CONVERSATION = "no such conversation"
SEARCH_BACKFILL = "chats.search_backfill"  # the outbox topic: index the next batch of older messages
SEARCH_BATCH = 500  # messages a backfill job indexes in one transaction


def _member(tx: Tx, conversation_id: int, user_id: int) -> Row:
    row = store.membership(tx, conversation_id, user_id)
    if row is None:
        raise NotFound(_NO_CONVERSATION)
    return row


def _group_member(tx: Tx, conversation_id: int, user_id: int) -> Row:
    row = _member(tx, conversation_id, user_id)
    if row["kind"] != GROUP:
        raise Invalid("only a group can do this", "not_a_group")
    return row


def _require_owner(row: Row, user_id: int) -> None:
    if row["owner_id"] != user_id:
        raise Forbidden("only the group's owner can do this", "not_owner")


def _profiles(tx: Tx, user_ids: list[int]) -> list[User]:
    rows = accounts.users(tx, user_ids)
    return [user_from_row(rows[uid]) for uid in user_ids if uid in rows]


def _views(tx: Tx, rows: list[Row], viewer: int, *, with_counts: bool = True) -> list[Conversation]:
    """The conversations of ``store.chat_list`` rows as ``viewer`` sees them, in a fixed number of
    statements: the profiles of the direct conversations' peers and of the groups' last senders (a
    member the viewer may not know, whom the chat list names), and the peers' remarks, read at once."""
    peer_ids = {row["id"]: store.direct_peer(row["direct_key"], viewer) for row in rows if row["kind"] == DIRECT}
    peers = list(peer_ids.values())
    senders = {
        row["id"]: row["lm_sender_id"]
        for row in rows
        if with_counts and row["kind"] == GROUP and row["lm_sender_id"] not in (None, viewer)
    }
    wanted = list(dict.fromkeys([*peers, *senders.values()]))
    profiles = accounts.shown_users(tx, wanted) if wanted else {}
    remarks = contacts.remarks(tx, viewer, peers) if peers else {}
    official = [row["account_id"] for row in rows if row["kind"] == OFFICIAL]
    cards = platform.cards(tx, official, viewer) if official else {}
    views = []
    for row in rows:
        peer_id = peer_ids.get(row["id"])
        peer_row = profiles.get(peer_id) if peer_id is not None else None
        sender_row = profiles.get(senders[row["id"]]) if row["id"] in senders else None
        last = store.last_message_of(row) if with_counts else None
        # activity as the viewer saw it: a message hidden from them (a blocked sender's) moves nothing
        views.append(
            Conversation(
                id=row["id"],
                kind=row["kind"],
                name=row["name"],
                owner_id=row["owner_id"],
                owner_only_adds=bool(row["owner_only_adds"]),
                member_count=row["member_count"],
                last_seq=last["seq"] if last else row["joined_seq"],
                last_activity_at=last["created_at"] if last else row["joined_at"],
                read_seq=row["read_seq"],
                unread=row["unread"] if with_counts else 0,
                muted=bool(row["muted"]),
                pinned=bool(row["pinned"]),
                peer=user_from_row(peer_row) if peer_row else None,
                remark=remarks.get(peer_id, "") if peer_id is not None else "",
                last_message=message_from_row(last) if last else None,
                avatar=row["avatar_id"],
                account=cards.get(row["account_id"]) if row["kind"] == OFFICIAL else None,
                mentioned=bool(row["mentioned"]) if with_counts else False,
                last_sender=user_from_row(sender_row) if sender_row else None,
            )
        )
    return views


def _view(tx: Tx, conversation_id: int, viewer: int, *, with_counts: bool = True) -> Conversation:
    """One conversation as ``viewer`` sees it (NotFound for a non-member)."""
    rows = store.chat_list(tx, viewer, conversation_id)
    if not rows:
        raise NotFound(_NO_CONVERSATION)
    return _views(tx, rows, viewer, with_counts=with_counts)[0]


def _checked_place(place: Location) -> Location:
    if not (-90 <= place.latitude <= 90 and -180 <= place.longitude <= 180):
        raise Invalid("latitude is -90 to 90 and longitude -180 to 180", field="location")
    if place.latitude != place.latitude or place.longitude != place.longitude:  # NaN
        raise Invalid("latitude and longitude must be numbers", field="location")
    if not 1 <= place.scale <= 20:
        raise Invalid("scale is 1 to 20", field="location")
    label = validation.line(place.label, "location", MAX_PLACE_LABEL, allow_empty=True)
    return Location(round(place.latitude, 6), round(place.longitude, 6), label, place.scale)


def post_system(tx: Tx, log: EventLog, conversation_id: int, recipients: list[int], **body: Any) -> None:
    """Post a system notice (membership, name, owner changes) to ``recipients``."""
    seq = store.next_seq(tx, conversation_id, log.now)
    payload = encode_str(body)
    message_id = store.insert_message(tx, conversation_id, seq, None, None, SYSTEM, payload, None, None, False, log.now)
    message = Message(message_id, conversation_id, seq, None, None, SYSTEM, "", log.now, system=decode(payload))
    log.append_ref(recipients, MESSAGE, message_id, encode(message))


def leave_all(tx: Tx, log: EventLog, user_id: int, actor: User) -> tuple[set[int], list[int]]:
    """A deleted account leaves every conversation (in groups as on leave, the notice naming ``actor``);
    returns who shared one with the user, and the conversations left with nobody."""
    shared: set[int] = set()
    memberships = store.chat_list(tx, user_id)
    for row in memberships:
        conversation_id = row["id"]
        store.remove_member(tx, conversation_id, user_id)
        remaining = store.member_ids(tx, conversation_id)
        shared.update(remaining)
        if row["kind"] != GROUP or not remaining:
            if row["kind"] == GROUP and row["owner_id"] == user_id:
                store.update_conversation(tx, conversation_id, owner_id=None)
            continue
        extra: dict[str, Any] = {}
        if row["owner_id"] == user_id:
            owner = remaining[0]  # the longest-standing member, as on leave
            store.update_conversation(tx, conversation_id, owner_id=owner)
            extra["owner"] = user_from_row(accounts.users(tx, [owner])[owner])
        post_system(tx, log, conversation_id, remaining, action="member_left", actor=actor, **extra)
    store.forget_links_of(tx, user_id)
    store.forget_memberships(tx, user_id)
    return shared, store.memberless(tx, [row["id"] for row in memberships])


def forget_orphans(tx: Tx, log: EventLog, user_id: int, memberless: list[int]) -> None:
    """Once a deleted user's log is gone: their messages nobody will ever see (and the media only
    those referred to), and the conversations left with no member and no message."""
    media.release(tx, log, REF_MESSAGE, store.forget_unseen_messages(tx, user_id, memberless))
    media.release(tx, log, REF_GROUP_AVATAR, store.forget_empty_conversations(tx, memberless))


class ChatService:
    def __init__(
        self, db: Database, writer: Writer, clock: Clock, caps: ChatLimits, limits: Limits, key: InviteKey
    ) -> None:
        self.key = key
        self.db = db
        self.limits = limits
        self.writer = writer
        self.clock = clock
        self.max_text_bytes = caps.max_text_bytes
        self.max_members = caps.max_members
        self.recall_window_ms = caps.recall_window_ms
        self.history_page_max = caps.history_page_max
        self.search_batch = SEARCH_BATCH

    # -- reading -----------------------------------------------------------------------------

    async def conversations(self, caller: Caller) -> list[Conversation]:
        """The caller's conversations: pinned first, then by last activity."""

        def read(tx: Tx) -> list[Conversation]:
            views = _views(tx, store.chat_list(tx, caller.user_id), caller.user_id)
            views.sort(key=lambda c: (c.pinned, c.last_activity_at, c.id), reverse=True)
            return views

        return await self.db.read(read)

    async def conversation(self, caller: Caller, conversation_id: int) -> Conversation:
        def read(tx: Tx) -> Conversation:
            return _view(tx, conversation_id, caller.user_id)

        return await self.db.read(read)

    async def members(self, caller: Caller, conversation_id: int) -> list[Member]:
        def read(tx: Tx) -> list[Member]:
            row = _member(tx, conversation_id, caller.user_id)
            return [
                Member(user_from_row(m), "owner" if m["id"] == row["owner_id"] else "member", m["joined_at"])
                for m in store.members(tx, conversation_id)
            ]

        return await self.db.read(read)

    async def history(
        self, caller: Caller, conversation_id: int, before: int | None, after: int | None, limit: int | None
    ) -> dict[str, Any]:
        if before is not None and after is not None:
            raise Invalid("give before or after, not both", field="before")
        for name, value in (("before", before), ("after", after)):
            if value is not None and not 0 <= value < 2**62:
                raise Invalid(f"{name} must be a sequence number of 0 or more", field=name)
        limit = 50 if limit is None else limit
        if not 1 <= limit <= self.history_page_max:
            raise Invalid(f"limit must be between 1 and {self.history_page_max}", field="limit")

        def read(tx: Tx) -> dict[str, Any]:
            row = _member(tx, conversation_id, caller.user_id)
            rows = store.history(tx, conversation_id, caller.user_id, row["joined_seq"], before, after, limit + 1)
            has_more = len(rows) > limit
            if has_more:
                rows = rows[:limit] if after is not None else rows[1:]
            return {"messages": [message_from_row(r) for r in rows], "has_more": has_more}

        return await self.db.read(read)

    # -- search ------------------------------------------------------------------------------

    async def search(self, caller: Caller, query: str, before: int | None, limit: int | None) -> dict[str, Any]:
        """Text messages matching ``query`` in the caller's conversations, newest first: only what
        they can see in the conversation itself (from their join on, not recalled, not hidden).
        ``next`` (absent at the end) is the ``before`` of the next page."""
        if not isinstance(query, str) or not 0 < len(query) <= search.MAX_QUERY:
            raise Invalid(f"q must be 1 to {search.MAX_QUERY} characters", field="q")
        wanted = search.terms(query)
        if not wanted:
            raise Invalid("q must contain a word or a character to look for", "nothing_to_find", field="q")
        limit = 20 if limit is None else limit
        if not 1 <= limit <= 50:
            raise Invalid("limit must be between 1 and 50", field="limit")
        if before is not None:
            validation.positive_id(before, "before")

        def read(tx: Tx) -> dict[str, Any]:
            match = search.fts5_query(wanted) if tx.dialect == "sqlite" else search.tsquery(wanted)
            rows = store.search(tx, caller.user_id, match, before or validation.MAX_ID, limit + 1)
            found = [message_from_row(r) for r in rows[:limit]]
            page: dict[str, Any] = {"messages": found}
            if len(rows) > limit:
                page["next"] = found[-1].id
            return page

        return await self.db.read(read)

    async def on_search_backfill(self, payload: bytes) -> None:
        """Index one batch of the messages that were sent before search existed."""
        job = decode(payload)
        await self.writer.run(self._backfill, int(job["after"]), int(job["until"]))

    def _backfill(self, tx: Tx, log: EventLog, after: int, until: int) -> None:
        rows = store.text_messages_after(tx, after, until, self.search_batch)
        store.index_messages(tx, [(r["id"], search.tokens(r["body"])) for r in rows])
        if len(rows) == self.search_batch:
            log.enqueue(SEARCH_BACKFILL, encode({"after": rows[-1]["id"], "until": until}))

    # -- sending -----------------------------------------------------------------------------

    def send(
        self,
        caller: Caller,
        conversation_id: int,
        client_id: str,
        text: str,
        reply_to: int | None = None,
        media_id: str | None = None,
        location: Location | None = None,
        mentions: list[int] | None = None,
    ) -> asyncio.Future[Ack]:
        """Store a text message, an image, voice note or file (an upload of the sender's, by
        ``media_id``), or a place (``location``; the last two have no text); returns a future of its
        Ack, settled once it is durable. A group's text may name members (``mentions``, user ids):
        each of them but the sender finds the conversation marked until they have read it.

        Validation happens now and the write is queued before this returns, so the messages of
        one sender are stored in the order ``send`` was called (the WebSocket relies on that).
        Resending a client id returns the original acknowledgement and stores nothing.
        """
        self.limits.check("send_device", caller.device_id)
        self.limits.check("send_user", caller.user_id)
        if not CLIENT_ID.match(client_id):
            raise Invalid("id must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -", field="id")
        validation.positive_id(conversation_id, "conversation_id")
        if location is not None:
            if media_id is not None or text:
                raise Invalid("a location message has no text and no media", field="location")
            location = _checked_place(location)
        elif media_id is None:
            text = validation.message_text(text, self.max_text_bytes)
        elif text:
            raise Invalid("an image, voice or file message has no text", field="text")
        elif not MEDIA_ID.match(media_id):
            raise Invalid("media_id must be the id of an upload", field="media_id")
        if reply_to is not None and not 0 < reply_to < 2**62:
            raise Invalid("reply_to must be the seq of an earlier message", field="reply_to")
        named: list[int] | None = None
        if mentions:  # an empty list names nobody, as none does
            if media_id is not None or location is not None:
                raise Invalid("mentions go with a text", field="mentions")
            for uid in mentions:
                validation.positive_id(uid, "mentions")
            named = list(dict.fromkeys(mentions))
            if len(named) > MAX_MENTIONS:
                raise Invalid(f"a message may name at most {MAX_MENTIONS} members", field="mentions")
        return self.writer.run(
            self._send, caller.user_id, conversation_id, client_id, text, reply_to, media_id, location, named,
            order_key=conversation_id,  # on PostgreSQL one writer thread per conversation: its sends keep their order
        )  # fmt: skip

    def _send(
        self,
        tx: Tx,
        log: EventLog,
        me: int,
        conversation_id: int,
        client_id: str,
        text: str,
        reply_to: int | None,
        media_id: str | None,
        location: Location | None,
        mentions: list[int] | None,
    ) -> Ack:
        if tx.dialect == "postgres" and reply_to is None and media_id is None and location is None and mentions is None:
            sent = store.send_text(tx, me, conversation_id, client_id, text, search.tokens(text), log.now)
            if sent is not None:  # stored, events and all, in one round trip
                message = Message(sent["message_id"], conversation_id, sent["seq"], me, client_id, TEXT, text, log.now)
                push.notify_subscribed(log, conversation_id, message.id, sent["subscribed"])
                log.stored_ref(sent["users"], sent["heads"], MESSAGE, encode(message))
                return Ack(message)
        existing = store.message_by_client_id(tx, me, client_id)
        if existing is not None:
            recalled = existing["recalled_at"] is not None  # its body is gone: a resend still gets its ack
            if not recalled and (decode(existing["mentions"]) if existing["mentions"] else None) != mentions:
                same_content = False
            elif location is not None:
                same_content = recalled or (existing["kind"] == LOCATION and existing["body"] == encode_str(location))
            elif media_id is None:
                same_content = recalled or existing["body"] == text
            else:
                same_content = recalled or (
                    existing["kind"] in MEDIA_KINDS and decode(existing["body"])["id"] == media_id
                )
            if (existing["conversation_id"], existing["reply_to_seq"]) != (
                conversation_id,
                reply_to,
            ) or not same_content:
                raise Conflict("this id was already used for a different message", "client_id_conflict", field="id")
            return Ack(message_from_row(existing), duplicate=True)
        row = _member(tx, conversation_id, me)
        only_sender = False
        recipients: list[int]
        if row["kind"] == DIRECT:
            peer = store.direct_peer(row["direct_key"], me)
            relation = contacts.relation(tx, me, peer)
            if not relation["friends"]:
                raise Forbidden("you are not friends yet", "not_friends")
            if relation["blocked"]:
                raise Forbidden("you have blocked this person; unblock them to send", "blocked_by_you")
            only_sender = bool(relation["blocked_by"])  # never told: it just never arrives
            recipients = [me] if only_sender else [me, peer]
        elif row["kind"] == OFFICIAL:
            platform.check_can_write(tx, row["account_id"], me)
            recipients = [me]
        else:
            recipients = store.member_ids(tx, conversation_id)
        if mentions is not None:
            if row["kind"] != GROUP:
                raise Invalid("only a group's members can be mentioned", "not_a_group", field="mentions")
            strangers = sorted(set(mentions) - set(recipients))
            if strangers:
                raise Invalid("only members can be mentioned", "not_a_member", field="mentions", user_ids=strangers)
        quote = self._quote(tx, row, me, reply_to) if reply_to is not None else None
        allowed = (IMAGE, VOICE, VIDEO) if row["kind"] == OFFICIAL else MEDIA_KINDS  # an account takes no files
        attached = media.own(tx, me, media_id, allowed) if media_id is not None else None
        if location is not None:
            kind, body = LOCATION, encode_str(location)
        else:
            kind, body = (TEXT, text) if attached is None else (attached.kind, encode_str(attached))
        now = log.now
        seq = store.next_seq(tx, conversation_id, now)
        message_id = store.insert_message(
            tx, conversation_id, seq, me, client_id, kind, body, reply_to,
            encode_str({"sender_id": quote.sender_id, "text": quote.text, "kind": quote.kind}) if quote else None,
            only_sender, now, encode_str(mentions) if mentions is not None else None,
        )  # fmt: skip
        pinged: list[int] = []  # those a mention reaches (their chat marked, a push even when muted)
        if mentions is not None:
            # nobody is pinged by someone they blocked (the message itself they see, as in any group)
            named = [u for u in mentions if u != me]
            relations = contacts.relations(tx, me, named) if named else {}
            pinged = [u for u in named if not relations[u][2]]
            store.add_mentions(tx, conversation_id, seq, message_id, pinged)
        if attached is not None:
            media.refer(tx, attached.id, REF_MESSAGE, message_id)
        elif kind == TEXT:
            store.index_messages(tx, [(message_id, search.tokens(text))])
        store.set_read(tx, conversation_id, me, seq)  # sending implies having read what came before
        message = Message(
            message_id, conversation_id, seq, me, client_id, kind, text, now, reply_to=quote, media=attached,
            location=location, mentions=mentions,
        )  # fmt: skip
        if row["kind"] == OFFICIAL:  # on its way to the account's webhook, through the outbox
            platform.user_wrote(tx, log, row["account_id"], me, message)
        else:  # to the others' browsers, if no app of theirs is open (after the commit, from the outbox)
            others = [r for r in recipients if r != me]
            push.notify_message(tx, log, conversation_id, message_id, others, loud=pinged)
        log.append_ref(recipients, MESSAGE, message_id, encode(message))
        return Ack(message)

    def _quote(self, tx: Tx, row: Row, me: int, seq: int) -> Quote:
        quoted = store.message_by_seq(tx, row["id"], seq)
        if (
            quoted is None
            or quoted["seq"] <= row["joined_seq"]
            or (quoted["only_sender"] and quoted["sender_id"] != me)
            or quoted["kind"] == SYSTEM
        ):
            raise NotFound("no such message to reply to", "no_such_message", field="reply_to")
        if quoted["recalled_at"] is not None:
            raise Conflict("that message was recalled", "recalled", field="reply_to")
        if quoted["kind"] in MEDIA_KINDS or quoted["kind"] == LOCATION:
            return Quote(seq=seq, sender_id=quoted["sender_id"], text="", kind=quoted["kind"])
        return Quote(seq=seq, sender_id=quoted["sender_id"], text=quoted["body"][:QUOTE_CHARS])

    async def recall(self, caller: Caller, conversation_id: int, seq: int) -> Message:
        """Recall one's own message within the recall window; everyone then sees a notice instead."""

        def recall(tx: Tx, log: EventLog) -> Message:
            row = _member(tx, conversation_id, caller.user_id)
            msg = store.message_by_seq(tx, conversation_id, seq)
            if (
                msg is None
                or msg["seq"] <= row["joined_seq"]
                or (msg["only_sender"] and msg["sender_id"] != caller.user_id)
            ):
                raise NotFound("no such message", "no_such_message")
            if msg["sender_id"] != caller.user_id:
                raise Forbidden("only its sender can recall a message", "not_sender")
            if msg["recalled_at"] is not None:
                return message_from_row(msg)
            if log.now - msg["created_at"] > self.recall_window_ms:
                raise Forbidden(
                    f"messages can only be recalled within {self.recall_window_ms // 60000} minutes",
                    "recall_expired",
                )
            store.recall(tx, msg["id"], log.now)
            store.unindex_messages(tx, [msg["id"]])
            media.release(tx, log, REF_MESSAGE, [msg["id"]])  # its image, voice or file goes with it
            store.replace_quotes(tx, conversation_id, seq, encode_str({"sender_id": msg["sender_id"], "text": None}))
            recipients = [caller.user_id] if msg["only_sender"] else store.audience(tx, conversation_id, seq)
            data = encode({"conversation_id": conversation_id, "seq": seq, "message_id": msg["id"]})
            log.append_many(recipients, MESSAGE_RECALLED, data)
            return message_from_row(store.message_by_seq(tx, conversation_id, seq))

        return await self.writer.run(recall)

    async def typing_peer(self, caller: Caller, conversation_id: int) -> int | None:
        """Whom the caller's typing in a conversation is shown to: the other person of a direct chat,
        while they are friends and neither has blocked the other (None otherwise, which is never
        told: a block is not revealed). NotFound for a non-member; only direct chats show typing."""

        def read(tx: Tx) -> int | None:
            row = _member(tx, conversation_id, caller.user_id)
            if row["kind"] != DIRECT:
                raise Invalid("typing is shown in direct chats only", "not_direct", field="conversation_id")
            peer = store.direct_peer(row["direct_key"], caller.user_id)
            relation = contacts.relation(tx, caller.user_id, peer)
            if not relation["friends"] or relation["blocked"] or relation["blocked_by"]:
                return None
            return peer

        return await self.db.read(read)

    async def hide(self, caller: Caller, conversation_id: int, seq: int) -> Conversation:
        """Delete a message for the caller only: it leaves their history, chat list, unread count and
        search, on all their devices (``message.hidden``); nobody else's view changes. Any message they
        can see may go, their own too. Returns the conversation as the caller now sees it."""

        def hide(tx: Tx, log: EventLog) -> Conversation:
            row = _member(tx, conversation_id, caller.user_id)
            msg = store.message_by_seq(tx, conversation_id, seq) if 0 < seq < 2**62 else None
            if (
                msg is None
                or msg["seq"] <= row["joined_seq"]
                or (msg["only_sender"] and msg["sender_id"] != caller.user_id)
            ):
                raise NotFound("no such message", "no_such_message")
            if store.hide(tx, caller.user_id, msg["id"]):
                data = encode({"conversation_id": conversation_id, "seq": seq, "message_id": msg["id"]})
                log.append(caller.user_id, MESSAGE_HIDDEN, data)
            return _view(tx, conversation_id, caller.user_id)

        return await self.writer.run(hide)

    # -- per-member state ---------------------------------------------------------------------

    def mark_read(self, caller: Caller, conversation_id: int, seq: int) -> asyncio.Future[int]:
        """Move the caller's read position forward (never back); synced to their own devices only.

        Validates now and returns a future of the resulting read position."""
        if not 0 <= seq < 2**62:
            raise Invalid("seq must be 0 or more", field="seq")

        def mark(tx: Tx, log: EventLog) -> int:
            row = _member(tx, conversation_id, caller.user_id)
            target = min(seq, row["last_seq"])
            if target <= row["read_seq"]:
                return int(row["read_seq"])
            store.set_read(tx, conversation_id, caller.user_id, target)
            log.append(
                caller.user_id, CONVERSATION_READ, encode({"conversation_id": conversation_id, "read_seq": target})
            )
            return target

        return self.writer.run(mark)

    async def set_prefs(
        self, caller: Caller, conversation_id: int, muted: bool | None, pinned: bool | None
    ) -> Conversation:
        if muted is None and pinned is None:
            raise Invalid("nothing to change: give muted or pinned")

        def update(tx: Tx, log: EventLog) -> Conversation:
            row = _member(tx, conversation_id, caller.user_id)
            new_muted = bool(row["muted"]) if muted is None else muted
            new_pinned = bool(row["pinned"]) if pinned is None else pinned
            store.set_prefs(tx, conversation_id, caller.user_id, new_muted, new_pinned)
            data = {"conversation_id": conversation_id, "muted": new_muted, "pinned": new_pinned}
            log.append(caller.user_id, CONVERSATION_PREFS, encode(data))
            return _view(tx, conversation_id, caller.user_id)

        return await self.writer.run(update)

    # -- conversations and groups ------------------------------------------------------------

    async def open_direct(self, caller: Caller, user_id: int) -> Conversation:
        """The one direct conversation with a friend, created on first use."""
        validation.positive_id(user_id, "user_id")
        me = caller.user_id
        if user_id == me:
            raise Invalid("a direct conversation needs someone else", field="user_id")

        def open_(tx: Tx, log: EventLog) -> Conversation:
            existing = store.direct_conversation(tx, me, user_id)
            if existing is None:
                if not contacts.are_friends(tx, me, user_id):
                    raise Forbidden("you are not friends yet", "not_friends")
                conversation_id = store.insert_conversation(
                    tx, DIRECT, "", None, store.direct_key(me, user_id), log.now
                )
                store.add_members(tx, conversation_id, [me, user_id], 0, log.now)
                for uid in (me, user_id):
                    view = _view(tx, conversation_id, uid, with_counts=False)
                    log.append(uid, CONVERSATION_JOINED, encode({"conversation": view}))
                return _view(tx, conversation_id, me)
            return _view(tx, existing["id"], me)

        return await self.writer.run(open_)

    def _check_new_members(self, tx: Tx, me: int, user_ids: list[int], current: int) -> list[int]:
        unique = list(dict.fromkeys(u for u in user_ids if u != me))
        if current + len(unique) > self.max_members:
            raise Conflict(f"a group has at most {self.max_members} members", "group_full")
        strangers, blocked = [], []
        relations = contacts.relations(tx, me, unique)
        for u in unique:
            friends, blocked_them, blocked_by = relations[u]
            if not friends or blocked_by:
                # someone who blocked the caller is refused as a stranger is (docs/contacts.md)
                strangers.append(u)
            elif blocked_them:
                blocked.append(u)
        if strangers:
            raise Forbidden("you can only add your friends", "not_friends", user_ids=strangers)
        if blocked:
            raise Forbidden("you have blocked them; unblock them to add them", "blocked_by_you", user_ids=blocked)
        return unique

    def _joined(self, tx: Tx, log: EventLog, conversation_id: int, user_ids: list[int]) -> None:
        for uid in user_ids:
            view = _view(tx, conversation_id, uid, with_counts=False)
            log.append(uid, CONVERSATION_JOINED, encode({"conversation": view}))

    async def create_group(self, caller: Caller, name: str, user_ids: list[int]) -> Conversation:
        await self.limits.take("group_user", caller.user_id)
        name = validation.line(name, "name", MAX_GROUP_NAME, allow_empty=True)
        for uid in user_ids:
            validation.positive_id(uid, "user_ids")
        me = caller.user_id

        def create(tx: Tx, log: EventLog) -> Conversation:
            others = self._check_new_members(tx, me, user_ids, 1)
            if not others:
                raise Invalid("a group needs at least one friend besides you", field="user_ids")
            conversation_id = store.insert_conversation(tx, GROUP, name, me, None, log.now)
            everyone = [me, *others]
            store.add_members(tx, conversation_id, everyone, 0, log.now)
            self._joined(tx, log, conversation_id, everyone)
            post_system(
                tx, log, conversation_id, everyone,
                action="created", actor=_profiles(tx, [me])[0], users=_profiles(tx, others), name=name,
            )  # fmt: skip
            return _view(tx, conversation_id, me)

        return await self.writer.run(create)

    async def add_members(self, caller: Caller, conversation_id: int, user_ids: list[int]) -> Conversation:
        for uid in user_ids:
            validation.positive_id(uid, "user_ids")
        if not user_ids:
            raise Invalid("give at least one user id", field="user_ids")
        me = caller.user_id

        def add(tx: Tx, log: EventLog) -> Conversation:
            row = _group_member(tx, conversation_id, me)
            if row["owner_only_adds"]:
                _require_owner(row, me)
            current = store.member_ids(tx, conversation_id)
            members = set(current)
            new = self._check_new_members(tx, me, [u for u in user_ids if u not in members], len(current))
            if not new:
                raise Conflict("they are all members already", "already_members")
            # joined_seq is the seq before the notice, so new members see their own "added" notice
            store.add_members(tx, conversation_id, new, row["last_seq"], log.now)
            self._joined(tx, log, conversation_id, new)
            post_system(
                tx, log, conversation_id, [*current, *new],
                action="members_added", actor=_profiles(tx, [me])[0], users=_profiles(tx, new),
            )  # fmt: skip
            return _view(tx, conversation_id, me)

        return await self.writer.run(add)

    async def remove_member(self, caller: Caller, conversation_id: int, user_id: int) -> None:
        me = caller.user_id

        def remove(tx: Tx, log: EventLog) -> None:
            row = _group_member(tx, conversation_id, me)
            _require_owner(row, me)
            if user_id == me:
                raise Invalid("to leave your own group, use leave", field="user_id")
            if store.membership(tx, conversation_id, user_id) is None:
                raise NotFound("not a member of this group", "not_a_member")
            store.remove_member(tx, conversation_id, user_id)
            store.sweep_links(tx, conversation_id, log.now)  # theirs stop working
            log.append(user_id, CONVERSATION_LEFT, encode({"conversation_id": conversation_id, "reason": "removed"}))
            post_system(
                tx, log, conversation_id, store.member_ids(tx, conversation_id),
                action="member_removed", actor=_profiles(tx, [me])[0], users=_profiles(tx, [user_id]),
            )  # fmt: skip

        await self.writer.run(remove)

    async def leave(self, caller: Caller, conversation_id: int) -> None:
        me = caller.user_id

        def leave(tx: Tx, log: EventLog) -> None:
            row = _group_member(tx, conversation_id, me)
            store.remove_member(tx, conversation_id, me)
            log.append(me, CONVERSATION_LEFT, encode({"conversation_id": conversation_id, "reason": "left"}))
            remaining = store.member_ids(tx, conversation_id)
            extra: dict[str, Any] = {}
            if row["owner_id"] == me:
                new_owner = remaining[0] if remaining else None  # the longest-standing member
                store.update_conversation(tx, conversation_id, owner_id=new_owner)
                if new_owner is not None:
                    extra["owner"] = _profiles(tx, [new_owner])[0]
            store.sweep_links(tx, conversation_id, log.now)  # the links they made stop working
            if remaining:
                post_system(
                    tx, log, conversation_id, remaining, action="member_left", actor=_profiles(tx, [me])[0], **extra
                )

        await self.writer.run(leave)

    async def update_group(
        self,
        caller: Caller,
        conversation_id: int,
        name: str | None = None,
        owner_id: int | None = None,
        owner_only_adds: bool | None = None,
    ) -> Conversation:
        """Rename (any member), transfer ownership or restrict adding members (owner only)."""
        if name is None and owner_id is None and owner_only_adds is None:
            raise Invalid("nothing to change: give name, owner_id or owner_only_adds")
        if owner_id is not None:
            validation.positive_id(owner_id, "owner_id")
        if name is not None:
            name = validation.line(name, "name", MAX_GROUP_NAME, allow_empty=True)
        me = caller.user_id

        def update(tx: Tx, log: EventLog) -> Conversation:
            row = _group_member(tx, conversation_id, me)
            if owner_id is not None or owner_only_adds is not None:
                _require_owner(row, me)
            if owner_id is not None and store.membership(tx, conversation_id, owner_id) is None:
                raise NotFound("the new owner must be a member of this group", "not_a_member", field="owner_id")
            members = store.member_ids(tx, conversation_id)
            actor = _profiles(tx, [me])[0]
            if name is not None and name != row["name"]:
                store.update_conversation(tx, conversation_id, name=name)
                post_system(tx, log, conversation_id, members, action="renamed", actor=actor, name=name)
            if owner_only_adds is not None and owner_only_adds != bool(row["owner_only_adds"]):
                store.update_conversation(tx, conversation_id, owner_only_adds=int(owner_only_adds))
                post_system(
                    tx, log, conversation_id, members,
                    action="settings_changed", actor=actor, owner_only_adds=owner_only_adds,
                )  # fmt: skip
            if owner_id is not None and owner_id != row["owner_id"]:
                store.update_conversation(tx, conversation_id, owner_id=owner_id)
                post_system(
                    tx, log, conversation_id, members,
                    action="owner_changed", actor=actor, owner=_profiles(tx, [owner_id])[0],
                )  # fmt: skip
            store.sweep_links(tx, conversation_id, log.now)  # only the owner may add: the others' links stop
            return _view(tx, conversation_id, me)

        return await self.writer.run(update)

    async def set_group_avatar(self, caller: Caller, conversation_id: int, media_id: str | None) -> Conversation:
        """Set (an image the caller uploaded) or remove the group's picture; any member may, as any
        member may rename it. The members see a notice."""
        if media_id is not None and not MEDIA_ID.match(media_id):
            raise Invalid("media_id must be the id of an upload", field="media_id")
        me = caller.user_id

        def update(tx: Tx, log: EventLog) -> Conversation:
            row = _group_member(tx, conversation_id, me)
            media.release(tx, log, REF_GROUP_AVATAR, [conversation_id])
            if media_id is not None:
                media.attach(tx, me, media_id, REF_GROUP_AVATAR, conversation_id, (IMAGE,))
            if media_id != row["avatar_id"]:
                store.update_conversation(tx, conversation_id, avatar_id=media_id)
                post_system(
                    tx, log, conversation_id, store.member_ids(tx, conversation_id),
                    action="avatar_changed", actor=_profiles(tx, [me])[0], avatar=media_id,
                )  # fmt: skip
            return _view(tx, conversation_id, me)

        return await self.writer.run(update)

    # -- group invite links ------------------------------------------------------------------

    def _link_model(self, row: Row) -> GroupLink:
        return GroupLink(
            id=row["id"],
            conversation_id=row["conversation_id"],
            token=self.key.recoverable(row["nonce"], row["token_hash"]),
            created_by=row["created_by"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            max_uses=row["max_uses"],
            uses=row["uses"],
        )

    @staticmethod
    def _may_invite(row: Row, me: int) -> None:
        """Who may make a group's links: whoever may add members (the owner, or any member unless
        only the owner may add)."""
        if row["owner_only_adds"]:
            _require_owner(row, me)

    async def create_link(
        self, caller: Caller, conversation_id: int, expires_in: int = LINK_DEFAULT_SECONDS, max_uses: int | None = None
    ) -> GroupLink:
        """A new invite link of a group, working for ``expires_in`` seconds and ``max_uses`` joins."""
        if not LINK_MIN_SECONDS <= expires_in <= LINK_MAX_SECONDS:
            raise Invalid(f"expires_in is {LINK_MIN_SECONDS} to {LINK_MAX_SECONDS} seconds", field="expires_in")
        if max_uses is not None and not 1 <= max_uses <= MAX_LINK_USES:
            raise Invalid(f"max_uses is 1 to {MAX_LINK_USES}", field="max_uses")
        token, nonce, token_hash = self.key.new()
        me = caller.user_id

        def create(tx: Tx, log: EventLog) -> GroupLink:
            row = _group_member(tx, conversation_id, me)
            self._may_invite(row, me)
            store.sweep_links(tx, conversation_id, log.now)
            if len(store.links(tx, conversation_id)) >= MAX_GROUP_LINKS:
                raise Conflict(
                    f"a group has at most {MAX_GROUP_LINKS} invite links: revoke one first", "too_many_links",
                    limit=MAX_GROUP_LINKS,
                )  # fmt: skip
            link_id = store.insert_link(
                tx, conversation_id, me, token_hash, nonce, log.now + expires_in * 1000, max_uses, log.now
            )
            made = store.link(tx, link_id)
            assert made is not None
            return msgspec.structs.replace(self._link_model(made), token=token)

        return await self.writer.run(create)

    def _managed(self, tx: Tx, conversation_id: int, me: int) -> tuple[Row, int | None]:
        """The group and whose links the caller manages: all (None) for the owner, their own for a
        member who may invite."""
        row = _group_member(tx, conversation_id, me)
        self._may_invite(row, me)
        return row, None if row["owner_id"] == me else me

    def _managed_link(self, tx: Tx, conversation_id: int, me: int, link_id: int) -> Row:
        _, maker = self._managed(tx, conversation_id, me)
        row = store.link(tx, link_id)
        if row is None or row["conversation_id"] != conversation_id or maker not in (None, row["created_by"]):
            raise NotFound("no such invite link", "no_such_link")
        return row

    async def links(self, caller: Caller, conversation_id: int) -> list[GroupLink]:
        """The group's working links: all of them for its owner, a member's own for a member."""

        def read(tx: Tx, log: EventLog) -> list[GroupLink]:
            _, maker = self._managed(tx, conversation_id, caller.user_id)
            store.sweep_links(tx, conversation_id, log.now)
            return [self._link_model(row) for row in store.links(tx, conversation_id, maker)]

        return await self.writer.run(read)

    async def link(self, caller: Caller, conversation_id: int, link_id: int) -> GroupLink:
        """One working link, to one who manages it (NotFound otherwise, as for one that never was)."""

        def read(tx: Tx) -> GroupLink:
            row = self._managed_link(tx, conversation_id, caller.user_id, link_id)
            if row["expires_at"] <= self.clock.now_ms():
                raise NotFound("no such invite link", "no_such_link")
            return self._link_model(row)

        return await self.db.read(read)

    async def revoke_link(self, caller: Caller, conversation_id: int, link_id: int) -> None:
        """Revoke a link: it stops working at once (the owner may revoke any, a member their own)."""

        def revoke(tx: Tx, log: EventLog) -> None:
            self._managed_link(tx, conversation_id, caller.user_id, link_id)
            store.delete_link(tx, link_id)

        await self.writer.run(revoke)

    def _working_link(self, tx: Tx, token: str, me: int) -> Row:
        row = store.link_for(tx, digest(token), me, self.clock.now_ms())
        if row is None:
            raise NotFound("this invite link does not work (any more)", "no_such_invite")
        return row

    async def open_link(self, caller: Caller, token: str) -> GroupCard:
        """What a group's invite link shows the caller: its name, picture and member count. A link
        that does not work, whyever, is the one NotFound."""
        check_token(token)
        await self.limits.take("invite_user", caller.user_id)

        def read(tx: Tx) -> GroupCard:
            row = self._working_link(tx, token, caller.user_id)
            member = bool(row["is_member"])
            return GroupCard(
                name=row["name"],
                member_count=row["member_count"],
                avatar=row["avatar_id"],
                is_member=member,
                conversation_id=row["conversation_id"] if member else None,
            )

        return await self.db.read(read)

    async def link_picture(self, caller: Caller, token: str) -> tuple[int, str]:
        """The group a working link leads to and the media id of its picture (NotFound if it has none)."""
        check_token(token)
        await self.limits.take("invite_user", caller.user_id)

        def read(tx: Tx) -> tuple[int, str]:
            row = self._working_link(tx, token, caller.user_id)
            if row["avatar_id"] is None:
                raise NotFound("this group has no picture", "no_picture")
            return int(row["conversation_id"]), str(row["avatar_id"])

        return await self.db.read(read)

    async def join(self, caller: Caller, token: str) -> Conversation:
        """Join a group by one of its invite links, as if added: the members see a notice, the
        newcomer sees nothing from before. Joining a group one is in already changes nothing."""
        check_token(token)
        await self.limits.take("invite_user", caller.user_id)
        me = caller.user_id

        def join(tx: Tx, log: EventLog) -> Conversation:
            row = self._working_link(tx, token, me)
            conversation_id = row["conversation_id"]
            if row["is_member"]:
                return _view(tx, conversation_id, me)
            current = store.member_ids(tx, conversation_id)
            if len(current) + 1 > self.max_members:
                raise Conflict(f"a group has at most {self.max_members} members", "group_full")
            store.use_link(tx, row["id"], row["uses"], row["max_uses"])
            # joined_seq is the seq before the notice, so the newcomer sees their own "joined" notice
            store.add_members(tx, conversation_id, [me], row["last_seq"], log.now)
            self._joined(tx, log, conversation_id, [me])
            post_system(
                tx, log, conversation_id, [*current, me],
                action="joined_by_link", actor=_profiles(tx, [me])[0], inviter=_profiles(tx, [row["created_by"]])[0],
            )  # fmt: skip
            return _view(tx, conversation_id, me)

        return await self.writer.run(join)


# -- official accounts (kith.chats.access, for kith.platform) ----------------------------------------


def open_official(tx: Tx, log: EventLog, account_id: int, user_id: int, name: str) -> int:
    """The conversation of an account with one user, made (and joined) on the first follow."""
    row = store.official_conversation(tx, account_id, user_id)
    if row is not None:
        return int(row["id"])
    conversation_id = store.insert_conversation(
        tx, OFFICIAL, name, None, store.official_key(account_id, user_id), log.now
    )
    store.update_conversation(tx, conversation_id, account_id=account_id)
    store.add_members(tx, conversation_id, [user_id], 0, log.now)
    view = _view(tx, conversation_id, user_id, with_counts=False)
    log.append(user_id, CONVERSATION_JOINED, encode({"conversation": view}))
    return conversation_id


def post_from_account(tx: Tx, log: EventLog, account_id: int, user_id: int, kind: str, body: str) -> Message | None:
    """A message from an account to one follower, in their conversation (None if there is none)."""
    row = store.official_conversation(tx, account_id, user_id)
    if row is None:
        return None
    seq = store.next_seq(tx, row["id"], log.now)
    message_id = store.insert_message(tx, row["id"], seq, None, None, kind, body, None, None, False, log.now)
    if kind == TEXT:
        store.index_messages(tx, [(message_id, search.tokens(body))])
    message = message_from_row(store.message_by_seq(tx, row["id"], seq))
    if message.media is not None:
        media.refer(tx, message.media.id, REF_MESSAGE, message_id)
    log.append_ref([user_id], MESSAGE, message_id, encode(message))
    return message


# -- new friends (kith.chats.access, for kith.contacts) ------------------------------------------


def befriended(tx: Tx, log: EventLog, requester: int, accepter: int, greetings: list[tuple[int, str]]) -> int:
    """Open the chat of two people who just became friends, as WeChat does: made (and joined) if
    they never had one, so both find it on top of their list, with each greeting as a message from
    whoever wrote it (the requester's first). The accepter read the greetings in the request: their
    read position moves past them. Returns the conversation's id."""
    existing = store.direct_conversation(tx, requester, accepter)
    if existing is None:
        conversation_id = store.insert_conversation(
            tx, DIRECT, "", None, store.direct_key(requester, accepter), log.now
        )
        store.add_members(tx, conversation_id, [requester, accepter], 0, log.now)
        for uid in (requester, accepter):
            view = _view(tx, conversation_id, uid, with_counts=False)
            log.append(uid, CONVERSATION_JOINED, encode({"conversation": view}))
    else:
        conversation_id = existing["id"]
    seq = 0
    for sender, text in greetings:
        if not text:
            continue
        seq = store.next_seq(tx, conversation_id, log.now)
        message_id = store.insert_message(
            tx, conversation_id, seq, sender, None, TEXT, text, None, None, False, log.now
        )  # fmt: skip
        store.index_messages(tx, [(message_id, search.tokens(text))])
        store.set_read(tx, conversation_id, sender, seq)
        message = message_from_row(store.message_by_seq(tx, conversation_id, seq))
        log.append_ref([requester, accepter], MESSAGE, message_id, encode(message))
    if seq:
        store.set_read(tx, conversation_id, accepter, seq)
        log.append(accepter, CONVERSATION_READ, encode({"conversation_id": conversation_id, "read_seq": seq}))
    return conversation_id
