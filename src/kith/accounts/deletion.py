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
   The search is a read, a page at a time (a scan); the rewrites are small writes.

Step 1 also leaves an outbox job that runs steps 2 and 3 again ten minutes later (both may run any
number of times), so a node that dies in between loses none of it.

What stays: the tombstone row, and the messages they sent that others received (those others' logs
refer to them; they show as sent by the tombstone). Direct conversations keep their ``direct_key``
(the pair of ids) for the peer who is still in them.
"""

from __future__ import annotations

from typing import Any

from kith.accounts import store as accounts_store
from kith.accounts.models import DELETED_HANDLE, DELETED_NAME, DEVICE_REVOKED, PROFILE_UPDATED, Caller, User
from kith.accounts.service import AccountService
from kith.chats import access as chats
from kith.contacts import access as contacts
from kith.errors import NotFound
from kith.events import EventLog, Writer
from kith.events import log as event_log
from kith.jsonenc import decode, encode, encode_str
from kith.media import access as media
from kith.media.models import REF_USER_AVATAR
from kith.moments import access as moments
from kith.platform import access as platform
from kith.push import access as push
from kith.storage.database import Database, Tx

REWRITE_BATCH = 500
FINISH = "account.finish_deletion"  # the outbox topic of steps 2 and 3
FINISH_DELAY_MS = 10 * 60_000  # normally done inline by then; the job is the safety net


def tombstone_of(user_id: int) -> User:
    return User(user_id, f"{DELETED_HANDLE}{user_id}", DELETED_NAME, "", deleted=True)


def forget(tx: Tx, log: EventLog, user_id: int) -> list[int]:
    """Step 1 (one transaction). Returns the ids of the users told about it."""
    if accounts_store.user(tx, user_id) is None:
        raise NotFound("no such user")
    tomb = tombstone_of(user_id)
    accounts_store.tombstone(tx, user_id)  # from here on, every notice and event names the tombstone
    media.release(tx, log, REF_USER_AVATAR, [user_id])
    platform.retire_accounts(tx, log, user_id)
    platform.forget_follower(tx, user_id)
    moments.forget_user(tx, log, user_id)
    accounts_store.forget_sign_in_keys(tx, user_id)
    push.forget_user(tx, user_id)  # before the devices its subscriptions refer to
    for device_id in accounts_store.forget_devices(tx, user_id):
        log.append(user_id, DEVICE_REVOKED, encode({"device_id": device_id}))
    related = contacts.forget_user(tx, log, user_id)
    shared, memberless = chats.leave_all(tx, log, user_id, tomb)
    event_log.clear(tx, user_id)  # their log (its head goes in step 2)
    chats.forget_orphans(tx, log, user_id, memberless)

    told = sorted((related | shared) - {user_id})
    # steps 2 and 3 follow at once; should the node die first, this job does them (later, once)
    log.enqueue(FINISH, encode({"user_id": user_id}), delay_ms=FINISH_DELAY_MS)
    log.append_many(told, PROFILE_UPDATED, encode({"user": tomb}))
    return told


def forget_log(tx: Tx, log: EventLog, user_id: int) -> None:
    """Step 2: the user's event log and its head."""
    event_log.forget(tx, user_id)


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


def _rewrite_events(tx: Tx, log: EventLog, rows: list[tuple[str, int, int]]) -> None:
    event_log.set_payloads(tx, rows)


def _rewrite_notices(tx: Tx, log: EventLog, rows: list[tuple[int, str]]) -> None:
    for message_id, body in rows:
        chats.set_body(tx, message_id, body)


class AccountDeletion:
    def __init__(self, db: Database, writer: Writer, accounts: AccountService) -> None:
        self.db = db
        self.writer = writer
        self.accounts = accounts

    async def do_delete_account(self, caller: Caller, password: str) -> None:
        """Delete the caller's account, once they have given their current password."""
        await self.accounts.confirm_password(caller, password, "password")
        await self.delete(caller.user_id)

    async def delete(self, user_id: int) -> None:
        await self.writer.run(forget, user_id)  # step 1 also leaves FINISH in the outbox
        await self.finish(user_id)

    async def on_finish(self, payload: bytes) -> None:
        """The outbox job: steps 2 and 3 again, for a node that died between step 1 and their end."""
        await self.finish(int(decode(payload)["user_id"]))

    async def finish(self, user_id: int) -> None:
        """Steps 2 and 3; both may run any number of times."""
        await self.writer.run(forget_log, user_id)
        await self.scrub(user_id)

    async def scrub(self, user_id: int) -> None:
        """Step 3: rewrite the copies of the old profile in others' events and in system notices,
        a page at a time (a user with thousands of friends left thousands of copies)."""
        tomb = _as_dict(tombstone_of(user_id))
        pattern = _naming_pattern(user_id)
        after: tuple[int, int] = (0, 0)
        while events := await self.db.read(event_log.payloads_like, pattern, after, REWRITE_BATCH):
            rows = [(encode_str(_replace(decode(r["payload"]), user_id, tomb)), r["user_id"], r["seq"]) for r in events]
            await self.writer.run(_rewrite_events, rows)
            after = (events[-1]["user_id"], events[-1]["seq"])
        last_id = 0
        while notices := await self.db.read(chats.system_notices_naming, pattern, last_id, REWRITE_BATCH):
            notice_rows = [(r["id"], encode_str(_replace(decode(r["body"]), user_id, tomb))) for r in notices]
            await self.writer.run(_rewrite_notices, notice_rows)
            last_id = notices[-1]["id"]


def _as_dict(user: User) -> dict[str, Any]:
    return decode(encode(user))  # type: ignore[no-any-return]
