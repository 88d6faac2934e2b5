"""Deleting an account: what is theirs alone goes; their messages in others' chats stay, from "Deleted user".

``do_delete_account`` runs in three steps, each safe to run again:

1. One write transaction, so that nobody ever sees half a deletion: the user row becomes a
   tombstone (handle ``deleted-<id>``, display name "Deleted user", no status, no password, disabled:
   the handle is free for anyone to take, and nobody can sign in to the tombstone); every device is
   deleted (``device.revoked`` to the user's own sockets, which close); every friendship (both sides:
   the friend gets ``friend.removed``), friend request (the other side sees it ``cancelled``) and block
   (both directions: a blocker gets ``contact.unblocked``) is deleted; they leave every conversation
   (in groups as on leave: the longest-standing member becomes owner, the others get a
   ``member_left`` notice naming "Deleted user"); their own event log is emptied, and the messages
   nobody else ever received are deleted. Everyone related gets ``profile.updated`` with the tombstone.
2. The user's event log and its head are deleted (after step 1 has told their sockets to close).
3. Their old profile is rewritten to the tombstone wherever it was copied into others' records: the
   payloads of others' events (a friend request, a `friend.added`) and the system notices of groups.
   The search is a read (a scan, off the single writer); the rewrites are small writes.

What stays: the tombstone row, and the messages they sent that others received (those others' logs
refer to them; they show as sent by the tombstone). Direct conversations keep their ``direct_key``
(the pair of ids) for the peer who is still in them.
"""

from __future__ import annotations

from typing import Any

from kith.accounts import store as accounts_store
from kith.accounts.models import DELETED_HANDLE, DELETED_NAME, Caller, User, user_from_row
from kith.accounts.passwords import Passwords
from kith.chats import store as chats_store
from kith.chats.models import GROUP, MESSAGE, SYSTEM, Message
from kith.contacts import store as contacts_store
from kith.contacts.models import FriendRequest
from kith.errors import Forbidden, NotFound
from kith.events import EventLog, Writer
from kith.jsonenc import decode, encode, encode_str
from kith.storage.database import Database, Row, Tx

REWRITE_BATCH = 500


def tombstone_of(user_id: int) -> User:
    return User(user_id, f"{DELETED_HANDLE}{user_id}", DELETED_NAME, "", deleted=True)


def _notice(tx: Tx, log: EventLog, conversation_id: int, recipients: list[int], **body: Any) -> None:
    """A system notice in a conversation, as the chats service posts them."""
    seq = chats_store.next_seq(tx, conversation_id, log.now)
    payload = encode_str(body)
    message_id = chats_store.insert_message(
        tx, conversation_id, seq, None, None, SYSTEM, payload, None, None, False, log.now
    )
    message = Message(message_id, conversation_id, seq, None, None, SYSTEM, "", log.now, system=decode(payload))
    log.append_ref(recipients, MESSAGE, message_id, encode(message))


def _ended_request(tx: Tx, row: Row) -> FriendRequest:
    users = accounts_store.users(tx, [row["from_id"], row["to_id"]])
    return FriendRequest(
        id=row["id"],
        from_user=user_from_row(users[row["from_id"]]),
        to_user=user_from_row(users[row["to_id"]]),
        greeting=row["greeting"],
        status="cancelled",
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _leave_everything(tx: Tx, log: EventLog, user_id: int, tomb: User) -> tuple[set[int], list[int]]:
    """Leave every conversation; returns who shared one with the user, and those left with nobody."""
    shared: set[int] = set()
    memberships = chats_store.chat_list(tx, user_id)
    for row in memberships:
        conversation_id = row["id"]
        chats_store.remove_member(tx, conversation_id, user_id)
        remaining = chats_store.member_ids(tx, conversation_id)
        shared.update(remaining)
        if row["kind"] != GROUP or not remaining:
            if row["kind"] == GROUP and row["owner_id"] == user_id:
                chats_store.update_conversation(tx, conversation_id, owner_id=None)
            continue
        extra: dict[str, Any] = {}
        if row["owner_id"] == user_id:
            owner = remaining[0]  # the longest-standing member, as on leave
            chats_store.update_conversation(tx, conversation_id, owner_id=owner)
            extra["owner"] = user_from_row(accounts_store.users(tx, [owner])[owner])
        _notice(tx, log, conversation_id, remaining, action="member_left", actor=tomb, **extra)
    chats_store.forget_memberships(tx, user_id)
    return shared, chats_store.memberless(tx, [row["id"] for row in memberships])


def forget(tx: Tx, log: EventLog, user_id: int) -> list[int]:
    """Step 1 (one transaction). Returns the ids of the users told about it."""
    if accounts_store.user(tx, user_id) is None:
        raise NotFound("no such user")
    tomb = tombstone_of(user_id)
    friends = contacts_store.friend_ids(tx, user_id)
    requests = contacts_store.requests_of(tx, user_id)
    blockers = contacts_store.blockers(tx, user_id)
    accounts_store.tombstone(tx, user_id)  # from here on, every notice and event names the tombstone

    for device_id in accounts_store.forget_devices(tx, user_id):
        log.append(user_id, "device.revoked", encode({"device_id": device_id}))
    for friend_id in friends:
        log.append(friend_id, "friend.removed", encode({"user_id": user_id}))
    counterparts = set()
    for row in requests:
        other = row["to_id"] if row["from_id"] == user_id else row["from_id"]
        counterparts.add(other)
        # a pending request ends; one the other side never saw (silenced) stays unseen
        if row["status"] == "pending" and not (row["from_id"] == user_id and row["silenced"]):
            log.append(other, "friend.request", encode({"request": _ended_request(tx, row)}))
    for blocker in blockers:
        log.append(blocker, "contact.unblocked", encode({"user_id": user_id}))
    contacts_store.forget_user(tx, user_id)

    shared, memberless = _leave_everything(tx, log, user_id, tomb)
    tx.execute("DELETE FROM events WHERE user_id = ?", (user_id,))  # their log (its head goes in step 2)
    chats_store.forget_unseen_messages(tx, user_id, memberless)
    chats_store.forget_empty_conversations(tx, memberless)

    told = sorted((set(friends) | counterparts | set(blockers) | shared) - {user_id})
    log.append_many(told, "profile.updated", encode({"user": tomb}))
    return told


def forget_log(tx: Tx, log: EventLog, user_id: int) -> None:
    """Step 2: the user's event log and its head."""
    tx.execute("DELETE FROM events WHERE user_id = ?", (user_id,))
    tx.execute("DELETE FROM event_heads WHERE user_id = ?", (user_id,))


# -- step 3: the old profile, wherever it was copied -------------------------------------------


def _naming_pattern(user_id: int) -> str:
    # a User as encoded: {"id":N,"handle":...}; the comma keeps id 12 from matching 123
    return '%{"id":' + str(user_id) + ',"handle":%'


def _replace(value: Any, user_id: int, tomb: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if value.get("id") == user_id and "handle" in value and "display_name" in value:
            return tomb
        return {k: _replace(v, user_id, tomb) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, user_id, tomb) for v in value]
    return value


def _copies(tx: Tx, user_id: int) -> tuple[list[Row], list[Row]]:
    pattern = _naming_pattern(user_id)
    events = tx.all("SELECT user_id, seq, payload FROM events WHERE payload LIKE ?", (pattern,))
    return events, chats_store.system_notices_naming(tx, pattern)


def _rewrite_events(tx: Tx, log: EventLog, rows: list[tuple[str, int, int]]) -> None:
    tx.executemany("UPDATE events SET payload = ? WHERE user_id = ? AND seq = ?", rows)


def _rewrite_notices(tx: Tx, log: EventLog, rows: list[tuple[int, str]]) -> None:
    for message_id, body in rows:
        chats_store.set_body(tx, message_id, body)


class AccountDeletion:
    def __init__(self, db: Database, writer: Writer, passwords: Passwords) -> None:
        self.db = db
        self.writer = writer
        self.passwords = passwords

    async def do_delete_account(self, caller: Caller, password: str) -> None:
        """Delete the caller's account, once they have given their current password."""
        current = await self.db.read(accounts_store.password_hash, caller.user_id)
        if not await self.passwords.verify(current, password):
            raise Forbidden("the password is wrong", "wrong_password", field="password")
        await self.delete(caller.user_id)

    async def delete(self, user_id: int) -> None:
        await self.writer.run(forget, user_id)
        await self.writer.run(forget_log, user_id)
        await self.scrub(user_id)

    async def scrub(self, user_id: int) -> None:
        """Step 3: rewrite the copies of the old profile in others' events and in system notices."""
        tomb = _as_dict(tombstone_of(user_id))
        events, notices = await self.db.read(_copies, user_id)
        event_rows = [
            (encode_str(_replace(decode(r["payload"]), user_id, tomb)), r["user_id"], r["seq"]) for r in events
        ]
        notice_rows = [(r["id"], encode_str(_replace(decode(r["body"]), user_id, tomb))) for r in notices]
        for start in range(0, len(event_rows), REWRITE_BATCH):
            await self.writer.run(_rewrite_events, event_rows[start : start + REWRITE_BATCH])
        for start in range(0, len(notice_rows), REWRITE_BATCH):
            await self.writer.run(_rewrite_notices, notice_rows[start : start + REWRITE_BATCH])


def _as_dict(user: User) -> dict[str, Any]:
    return decode(encode(user))  # type: ignore[no-any-return]
