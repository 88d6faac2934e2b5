"""SQL of conversations, members and messages."""

from __future__ import annotations

from typing import Any

from kith.storage.database import Row, Tx, placeholders

# -- conversations and members -----------------------------------------------------------------


def direct_key(a: int, b: int) -> str:
    return f"{min(a, b)}:{max(a, b)}"


def direct_peer(key: str, user_id: int) -> int:
    low, _, high = key.partition(":")
    return int(high) if int(low) == user_id else int(low)


def conversation(tx: Tx, conversation_id: int) -> Row | None:
    return tx.one("SELECT * FROM conversations WHERE id = ?", (conversation_id,))


def direct_conversation(tx: Tx, a: int, b: int) -> Row | None:
    return tx.one("SELECT * FROM conversations WHERE direct_key = ?", (direct_key(a, b),))


def membership(tx: Tx, conversation_id: int, user_id: int) -> Row | None:
    """The caller's membership joined with the conversation, or None for a non-member."""
    return tx.one(
        "SELECT c.id, c.kind, c.name, c.owner_id, c.direct_key, c.owner_only_adds, c.last_seq,"
        " c.last_activity_at, c.avatar_id, c.account_id, m.joined_seq, m.joined_at, m.read_seq, m.muted, m.pinned"
        " FROM members m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.conversation_id = ? AND m.user_id = ?",
        (conversation_id, user_id),
    )


_MESSAGE_COLUMNS = (
    "id", "conversation_id", "seq", "sender_id", "client_id", "kind", "body", "reply_to_seq", "reply_preview",
    "only_sender", "recalled_at", "created_at", "mentions",
)  # fmt: skip
UNREAD_CAP = 999  # unread counts stop here ("999+"): counting further costs time and tells nobody anything

_CHAT_LIST = (
    "SELECT c.id, c.kind, c.name, c.owner_id, c.direct_key, c.owner_only_adds, c.last_seq,"
    " c.last_activity_at, c.avatar_id, c.account_id, m.joined_seq, m.joined_at, m.read_seq, m.muted, m.pinned,"
    " (SELECT COUNT(*) FROM members x WHERE x.conversation_id = c.id) AS member_count,"
    " (SELECT COUNT(*) FROM (SELECT 1 FROM messages u WHERE u.conversation_id = c.id AND u.seq > m.read_seq"
    # from others: a member, or (no sender, not a notice) the official account of the conversation
    "   AND u.only_sender = 0 AND u.recalled_at IS NULL"
    "   AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = m.user_id AND h.message_id = u.id)"
    "   AND (u.sender_id != m.user_id OR (u.sender_id IS NULL AND u.kind != 'system'))"
    f"  LIMIT {UNREAD_CAP}) AS r) AS unread,"
    # a mention of the member since their read position (the mentions of a recalled message are gone)
    " EXISTS (SELECT 1 FROM mentions x WHERE x.user_id = m.user_id AND x.conversation_id = c.id"
    "   AND x.seq > m.read_seq) AS mentioned, "
    + ", ".join(f"lm.{column} AS lm_{column}" for column in _MESSAGE_COLUMNS)
    + " FROM members m JOIN conversations c ON c.id = m.conversation_id"
    # the last message the member can see: after their join, not one hidden from them (a blocked
    # sender's), not one they deleted for themselves
    " LEFT JOIN messages lm ON lm.id = (SELECT v.id FROM messages v WHERE v.conversation_id = c.id"
    "   AND v.seq > m.joined_seq AND (v.only_sender = 0 OR v.sender_id = m.user_id)"
    "   AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = m.user_id AND h.message_id = v.id)"
    "   ORDER BY v.seq DESC LIMIT 1)"
    " WHERE m.user_id = ?"
)


def chat_list(tx: Tx, user_id: int, conversation_id: int | None = None) -> list[Row]:
    """The user's memberships with what the chat list shows of each (member count, unread count and the
    last visible message as ``lm_*`` columns), in one statement whatever the number of conversations."""
    if conversation_id is None:
        return tx.all(_CHAT_LIST, (user_id,))
    return tx.all(_CHAT_LIST + " AND m.conversation_id = ?", (user_id, conversation_id))


def last_message_of(row: Row) -> dict[str, Any] | None:
    """The last visible message of a ``chat_list`` row, as a message row (None if there is none)."""
    if row["lm_id"] is None:
        return None
    return {column: row["lm_" + column] for column in _MESSAGE_COLUMNS}


def member_ids(tx: Tx, conversation_id: int) -> list[int]:
    """Members, longest-standing first (by the conversation's own order, not the clock)."""
    return [
        r["user_id"]
        for r in tx.all(
            "SELECT user_id FROM members WHERE conversation_id = ? ORDER BY joined_seq, joined_at, user_id",
            (conversation_id,),
        )
    ]


def audience(tx: Tx, conversation_id: int, seq: int) -> list[int]:
    """Members who can see the message at ``seq``: those who joined before it."""
    return [
        r["user_id"]
        for r in tx.all(
            "SELECT user_id FROM members WHERE conversation_id = ? AND joined_seq < ? ORDER BY user_id",
            (conversation_id, seq),
        )
    ]


def members(tx: Tx, conversation_id: int) -> list[Row]:
    return tx.all(
        "SELECT u.id, u.handle, u.display_name, u.status, u.avatar_id, m.joined_at FROM members m"
        " JOIN users u ON u.id = m.user_id WHERE m.conversation_id = ? ORDER BY m.joined_seq, m.joined_at, u.id",
        (conversation_id,),
    )


def insert_conversation(tx: Tx, kind: str, name: str, owner_id: int | None, key: str | None, now: int) -> int:
    return int(
        tx.value(
            "INSERT INTO conversations (kind, name, owner_id, direct_key, last_activity_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (kind, name, owner_id, key, now, now),
        )
    )


def update_conversation(tx: Tx, conversation_id: int, **changes: Any) -> None:
    assignments = ", ".join(f"{column} = ?" for column in changes)
    tx.execute(f"UPDATE conversations SET {assignments} WHERE id = ?", (*changes.values(), conversation_id))


def add_members(tx: Tx, conversation_id: int, user_ids: list[int], joined_seq: int, now: int) -> None:
    tx.executemany(
        "INSERT INTO members (conversation_id, user_id, joined_seq, read_seq, joined_at) VALUES (?, ?, ?, ?, ?)",
        [(conversation_id, uid, joined_seq, joined_seq, now) for uid in user_ids],
    )


def remove_member(tx: Tx, conversation_id: int, user_id: int) -> None:
    tx.execute("DELETE FROM members WHERE conversation_id = ? AND user_id = ?", (conversation_id, user_id))


def set_read(tx: Tx, conversation_id: int, user_id: int, seq: int) -> None:
    tx.execute(
        "UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ? AND read_seq < ?",
        (seq, conversation_id, user_id, seq),
    )


def set_prefs(tx: Tx, conversation_id: int, user_id: int, muted: bool, pinned: bool) -> None:
    tx.execute(
        "UPDATE members SET muted = ?, pinned = ? WHERE conversation_id = ? AND user_id = ?",
        (int(muted), int(pinned), conversation_id, user_id),
    )


# -- messages ------------------------------------------------------------------------------------


def next_seq(tx: Tx, conversation_id: int, now: int) -> int:
    return int(
        tx.value(
            "UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = ? WHERE id = ? RETURNING last_seq",
            (now, conversation_id),
        )
    )


def insert_message(
    tx: Tx,
    conversation_id: int,
    seq: int,
    sender_id: int | None,
    client_id: str | None,
    kind: str,
    body: str,
    reply_to_seq: int | None,
    reply_preview: str | None,
    only_sender: bool,
    now: int,
    mentions: str | None = None,
) -> int:
    return int(
        tx.value(
            "INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body, reply_to_seq,"
            " reply_preview, only_sender, created_at, mentions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                conversation_id,
                seq,
                sender_id,
                client_id,
                kind,
                body,
                reply_to_seq,
                reply_preview,
                int(only_sender),
                now,
                mentions,
            ),
        )
    )


def add_mentions(tx: Tx, conversation_id: int, seq: int, message_id: int, user_ids: list[int]) -> None:
    """The members a message names: each finds the conversation marked until they have read it."""
    tx.executemany(
        "INSERT INTO mentions (user_id, conversation_id, seq, message_id) VALUES (?, ?, ?, ?)",
        [(uid, conversation_id, seq, message_id) for uid in user_ids],
    )


def send_text(
    tx: Tx, sender_id: int, conversation_id: int, client_id: str, body: str, tokens: str, now: int
) -> Row | None:
    """PostgreSQL only: a plain text message stored in one round trip by ``kith_send_text``
    (migration 0015), its events included: a row of (message_id, seq, users, heads, subscribed).
    None, having changed nothing, when the send needs the general path (a resend, a check that
    fails, a block, an official account's chat)."""
    return tx.one(
        "SELECT * FROM kith_send_text(?, ?, ?, ?, ?, ?)", (sender_id, conversation_id, client_id, body, tokens, now)
    )


def message_by_client_id(tx: Tx, sender_id: int, client_id: str) -> Row | None:
    return tx.one("SELECT * FROM messages WHERE sender_id = ? AND client_id = ?", (sender_id, client_id))


def message_by_seq(tx: Tx, conversation_id: int, seq: int) -> Row | None:
    return tx.one("SELECT * FROM messages WHERE conversation_id = ? AND seq = ?", (conversation_id, seq))


def hide(tx: Tx, user_id: int, message_id: int) -> bool:
    """Take a message out of one member's view ("delete for me"); False if it already was."""
    return bool(
        tx.execute(
            "INSERT INTO hidden_messages (user_id, message_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (user_id, message_id),
        )
    )


def recall(tx: Tx, message_id: int, now: int) -> None:
    tx.execute("UPDATE messages SET body = '', mentions = NULL, recalled_at = ? WHERE id = ?", (now, message_id))
    tx.execute("DELETE FROM mentions WHERE message_id = ?", (message_id,))


def replace_quotes(tx: Tx, conversation_id: int, seq: int, preview: str) -> None:
    tx.execute(
        "UPDATE messages SET reply_preview = ? WHERE conversation_id = ? AND reply_to_seq = ?",
        (preview, conversation_id, seq),
    )


_VISIBLE = (
    "conversation_id = ? AND seq > ? AND (only_sender = 0 OR sender_id = ?)"
    " AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = ? AND h.message_id = messages.id)"
)


def history(
    tx: Tx, conversation_id: int, viewer: int, floor: int, before: int | None, after: int | None, limit: int
) -> list[Row]:
    """Visible messages in seq order: the newest page, or the page before/after a seq."""
    if after is not None:
        return tx.all(
            f"SELECT * FROM messages WHERE {_VISIBLE} AND seq > ? ORDER BY seq LIMIT ?",
            (conversation_id, floor, viewer, viewer, after, limit),
        )
    rows = tx.all(
        f"SELECT * FROM messages WHERE {_VISIBLE} AND seq < ? ORDER BY seq DESC LIMIT ?",
        (conversation_id, floor, viewer, viewer, before if before is not None else 2**62, limit),
    )
    rows.reverse()
    return rows


# -- account deletion (kith.accounts.deletion) -------------------------------------------------


def memberless(tx: Tx, conversation_ids: list[int]) -> list[int]:
    """Those of the conversations that nobody is a member of any more."""
    if not conversation_ids:
        return []
    marks = ",".join("?" * len(conversation_ids))
    return [
        r["id"]
        for r in tx.all(
            f"SELECT id FROM conversations c WHERE id IN ({marks})"
            " AND NOT EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = c.id)",
            conversation_ids,
        )
    ]


def forget_memberships(tx: Tx, user_id: int) -> None:
    tx.execute("DELETE FROM members WHERE user_id = ?", (user_id,))
    tx.execute("DELETE FROM mentions WHERE user_id = ?", (user_id,))  # who was named stays in the messages
    tx.execute("DELETE FROM hidden_messages WHERE user_id = ?", (user_id,))


def forget_unseen_messages(tx: Tx, user_id: int, memberless: list[int]) -> list[int]:
    """Delete the messages nobody will ever see again, once the user's own log is gone.

    Those are the user's messages only they saw (``only_sender``: to someone who had blocked them),
    and, in the ``memberless`` conversations (nobody can read their history any more), every
    message no user's log refers to (the user's, sent while alone in a group, or those of someone
    deleted before). Messages that others received stay: those others' logs refer to them.
    Returns the ids of those deleted."""
    unseen = "SELECT id FROM messages WHERE sender_id = ? AND only_sender = 1"
    tx.execute(f"DELETE FROM message_tokens WHERE message_id IN ({unseen})", (user_id,))
    tx.execute(f"DELETE FROM mentions WHERE message_id IN ({unseen})", (user_id,))
    tx.execute(f"DELETE FROM hidden_messages WHERE message_id IN ({unseen})", (user_id,))
    rows = tx.all("DELETE FROM messages WHERE sender_id = ? AND only_sender = 1 RETURNING id", (user_id,))
    unreferenced = " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.ref_kind = 'message' AND e.ref_id = messages.id)"
    for start in range(0, len(memberless), 500):
        chunk = memberless[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for table in ("message_tokens", "mentions", "hidden_messages"):
            tx.execute(
                f"DELETE FROM {table} WHERE message_id IN"
                f" (SELECT id FROM messages WHERE conversation_id IN ({marks}){unreferenced})",
                chunk,
            )
        rows += tx.all(
            f"DELETE FROM messages WHERE conversation_id IN ({marks})" + unreferenced + " RETURNING id",
            chunk,
        )
    return [r["id"] for r in rows]


# -- group invite links --------------------------------------------------------------------------

_LINK = (
    "SELECT id, conversation_id, created_by, token_hash, nonce, expires_at, max_uses, uses, created_at FROM group_links"
)


def insert_link(
    tx: Tx, conversation_id: int, created_by: int, token_hash: bytes, nonce: bytes, expires_at: int,
    max_uses: int | None, now: int,
) -> int:  # fmt: skip
    return int(
        tx.value(
            "INSERT INTO group_links (conversation_id, created_by, token_hash, nonce, expires_at, max_uses, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (conversation_id, created_by, token_hash, nonce, expires_at, max_uses, now),
        )
    )


def link(tx: Tx, link_id: int) -> Row | None:
    return tx.one(f"{_LINK} WHERE id = ?", (link_id,))


def links(tx: Tx, conversation_id: int, created_by: int | None = None) -> list[Row]:
    """The group's links (only those ``created_by`` made, when given), oldest first."""
    if created_by is None:
        return tx.all(f"{_LINK} WHERE conversation_id = ? ORDER BY id", (conversation_id,))
    return tx.all(f"{_LINK} WHERE conversation_id = ? AND created_by = ? ORDER BY id", (conversation_id, created_by))


def delete_link(tx: Tx, link_id: int) -> None:
    tx.execute("DELETE FROM group_links WHERE id = ?", (link_id,))


def sweep_links(tx: Tx, conversation_id: int, now: int) -> None:
    """Delete the group's expired links, and those whose maker may no longer add members: they left,
    or only the owner may add and they are not the owner. What is left are links that work."""
    tx.execute(
        "DELETE FROM group_links WHERE conversation_id = ? AND (expires_at <= ?"
        " OR NOT EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = group_links.conversation_id"
        "   AND m.user_id = group_links.created_by)"
        " OR EXISTS (SELECT 1 FROM conversations c WHERE c.id = group_links.conversation_id"
        "   AND c.owner_only_adds = 1 AND (c.owner_id IS NULL OR c.owner_id != group_links.created_by)))",
        (conversation_id, now),
    )


def link_for(tx: Tx, token_hash: bytes, visitor_id: int, now: int) -> Row | None:
    """A working link and its group, for ``visitor_id``: None for a token nobody has, a revoked,
    expired or used-up link, one whose maker may no longer add members, and one whose maker or
    group owner blocked the visitor. One statement for all of them, so none answers differently."""
    return tx.one(
        "SELECT l.id, l.conversation_id, l.created_by, l.max_uses, l.uses, c.name, c.avatar_id, c.last_seq,"
        " (SELECT COUNT(*) FROM members x WHERE x.conversation_id = c.id) AS member_count,"
        " EXISTS (SELECT 1 FROM members v WHERE v.conversation_id = c.id AND v.user_id = ?) AS is_member"
        " FROM group_links l JOIN conversations c ON c.id = l.conversation_id"
        " WHERE l.token_hash = ? AND l.expires_at > ? AND (l.max_uses IS NULL OR l.uses < l.max_uses)"
        " AND EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = c.id AND m.user_id = l.created_by)"
        " AND (c.owner_only_adds = 0 OR l.created_by = c.owner_id)"
        " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocked_id = ?"
        "   AND (b.user_id = l.created_by OR b.user_id = c.owner_id))",
        (visitor_id, token_hash, now, visitor_id),
    )


def use_link(tx: Tx, link_id: int, uses: int, max_uses: int | None) -> None:
    """Count one more join; the last use a link allows deletes it."""
    if max_uses is not None and uses + 1 >= max_uses:
        tx.execute("DELETE FROM group_links WHERE id = ?", (link_id,))
    else:
        tx.execute("UPDATE group_links SET uses = uses + 1 WHERE id = ?", (link_id,))


def forget_links_of(tx: Tx, user_id: int) -> None:
    """Every group link the user made (their account is being deleted)."""
    tx.execute("DELETE FROM group_links WHERE created_by = ?", (user_id,))


def forget_empty_conversations(tx: Tx, conversation_ids: list[int]) -> list[int]:
    """Delete those of the conversations left with no member and no message; their ids."""
    deleted: list[int] = []
    for start in range(0, len(conversation_ids), 500):
        chunk = conversation_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        tx.execute(f"DELETE FROM group_links WHERE conversation_id IN ({marks})", chunk)
        rows = tx.all(
            f"DELETE FROM conversations WHERE id IN ({marks})"
            " AND NOT EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = conversations.id)"
            " AND NOT EXISTS (SELECT 1 FROM messages g WHERE g.conversation_id = conversations.id) RETURNING id",
            chunk,
        )
        deleted += [r["id"] for r in rows]
    return deleted


def system_notices_naming(tx: Tx, pattern: str, after_id: int, limit: int) -> list[Row]:
    """System notices after message ``after_id`` whose body matches the LIKE ``pattern``, by id, at
    most ``limit`` (a scan: run it as a read, a page at a time)."""
    return tx.all(
        "SELECT id, body FROM messages WHERE id > ? AND kind = 'system' AND body LIKE ? ORDER BY id LIMIT ?",
        (after_id, pattern, limit),
    )


def set_body(tx: Tx, message_id: int, body: str) -> None:
    tx.execute("UPDATE messages SET body = ? WHERE id = ?", (body, message_id))


# -- what media may ask (kith.chats.access) ------------------------------------------------------


def visible_messages(tx: Tx, user_id: int, message_ids: list[int]) -> list[int]:
    """Those of the messages the user can see now: a member who joined before it, not recalled,
    not hidden from them (a blocked sender's)."""
    marks = placeholders(len(message_ids))
    rows = tx.all(
        "SELECT g.id FROM messages g JOIN members m ON m.conversation_id = g.conversation_id AND m.user_id = ?"
        f" WHERE g.id IN ({marks}) AND g.seq > m.joined_seq AND g.recalled_at IS NULL"
        " AND (g.only_sender = 0 OR g.sender_id = ?)",
        (user_id, *message_ids, user_id),
    )
    return [r["id"] for r in rows]


def is_member(tx: Tx, conversation_id: int, user_id: int) -> bool:
    row = tx.one("SELECT 1 FROM members WHERE conversation_id = ? AND user_id = ?", (conversation_id, user_id))
    return row is not None


# -- official accounts (kith.chats.access, for kith.platform) ----------------------------------------


def official_key(account_id: int, user_id: int) -> str:
    return f"oa:{account_id}:{user_id}"


def official_conversation(tx: Tx, account_id: int, user_id: int) -> Row | None:
    return tx.one("SELECT * FROM conversations WHERE direct_key = ?", (official_key(account_id, user_id),))


def accounts_of_messages(tx: Tx, message_ids: list[int]) -> set[int]:
    """The official accounts whose conversations hold any of these messages."""
    if not message_ids:
        return set()
    rows = tx.all(
        "SELECT DISTINCT c.account_id FROM messages g JOIN conversations c ON c.id = g.conversation_id"
        f" WHERE g.id IN ({placeholders(len(message_ids))}) AND c.account_id IS NOT NULL AND g.recalled_at IS NULL",
        message_ids,
    )
    return {r["account_id"] for r in rows}


# -- search (kith/chats/search.py holds the tokenizer) -------------------------------------------


def index_messages(tx: Tx, rows: list[tuple[int, str]]) -> None:
    """(message id, tokens) rows: searchable from now on (one already indexed is left as it is)."""
    tx.executemany(
        "INSERT INTO message_tokens (message_id, tokens) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [r for r in rows if r[1]],
    )


def unindex_messages(tx: Tx, message_ids: list[int]) -> None:
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start : start + 500]
        tx.execute(f"DELETE FROM message_tokens WHERE message_id IN ({placeholders(len(chunk))})", chunk)


def text_messages_after(tx: Tx, after: int, until: int, limit: int) -> list[Row]:
    """Text messages (not recalled) with ids in (after, until], in id order: the backfill's next batch."""
    return tx.all(
        "SELECT id, body FROM messages WHERE id > ? AND id <= ? AND kind = 'text' AND recalled_at IS NULL"
        " ORDER BY id LIMIT ?",
        (after, until, limit),
    )


def search(tx: Tx, user_id: int, match: str, before: int, limit: int) -> list[Row]:
    """The newest messages (id below ``before``) matching ``match`` that ``user_id`` can see: in a
    conversation they are in, sent after they joined, not recalled, not hidden from them."""
    seen = (
        " JOIN members m ON m.conversation_id = g.conversation_id AND m.user_id = ?"
        " WHERE g.id < ? AND g.seq > m.joined_seq AND g.recalled_at IS NULL AND (g.only_sender = 0 OR g.sender_id = ?)"
        " AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = m.user_id AND h.message_id = g.id)"
    )
    if tx.dialect == "sqlite":
        return tx.all(
            "SELECT g.* FROM message_search s JOIN messages g ON g.id = s.rowid" + seen
            + " AND message_search MATCH ? ORDER BY s.rowid DESC LIMIT ?",
            (user_id, before, user_id, match, limit),
        )  # fmt: skip
    return tx.all(
        "SELECT g.* FROM message_tokens t JOIN messages g ON g.id = t.message_id" + seen
        + " AND array_to_tsvector(string_to_array(t.tokens, ' ')) @@ ?::tsquery ORDER BY g.id DESC LIMIT ?",
        (user_id, before, user_id, match, limit),
    )  # fmt: skip


# -- what a push says (kith.chats.access, for kith.push) ---------------------------------------


def message_for_push(tx: Tx, message_id: int) -> Row | None:
    """A message with its conversation's kind and name."""
    return tx.one(
        "SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.kind, m.body, m.recalled_at,"
        " c.kind AS conversation_kind, c.name AS conversation_name"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?",
        (message_id,),
    )


def muted_of(tx: Tx, conversation_id: int, user_ids: list[int]) -> dict[int, bool]:
    """Whether each of ``user_ids`` who is a member now muted the conversation (non-members are absent)."""
    rows = tx.all(
        f"SELECT user_id, muted FROM members WHERE conversation_id = ? AND user_id IN ({placeholders(len(user_ids))})",
        (conversation_id, *user_ids),
    )
    return {r["user_id"]: bool(r["muted"]) for r in rows}
