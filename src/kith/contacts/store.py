"""SQL of friendships, friend requests and blocks."""

from __future__ import annotations

from kith.storage.database import Row, Tx


def friend_ids(tx: Tx, user_id: int) -> list[int]:
    return [r["friend_id"] for r in tx.all("SELECT friend_id FROM friendships WHERE user_id = ?", (user_id,))]


def friend_ids_after(tx: Tx, user_id: int, after: int, limit: int) -> list[int]:
    """The user's friends with ids above ``after``, in id order, at most ``limit`` (a page of them)."""
    rows = tx.all(
        "SELECT friend_id FROM friendships WHERE user_id = ? AND friend_id > ? ORDER BY friend_id LIMIT ?",
        (user_id, after, limit),
    )
    return [r["friend_id"] for r in rows]


def are_friends(tx: Tx, user_id: int, other_id: int) -> bool:
    return tx.one("SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?", (user_id, other_id)) is not None


def relation(tx: Tx, user_id: int, other_id: int) -> Row:
    """In one read: are they friends, has the user blocked the other, has the other blocked the user."""
    row = tx.one(
        "SELECT EXISTS (SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?) AS friends,"
        " EXISTS (SELECT 1 FROM blocks WHERE user_id = ? AND blocked_id = ?) AS blocked,"
        " EXISTS (SELECT 1 FROM blocks WHERE user_id = ? AND blocked_id = ?) AS blocked_by",
        (user_id, other_id, user_id, other_id, other_id, user_id),
    )
    assert row is not None
    return row


def relations(tx: Tx, user_id: int, others: list[int]) -> dict[int, tuple[bool, bool, bool]]:
    """``relation`` with many others at once, in three statements: other -> (friends, blocked, blocked_by)."""
    found: dict[int, tuple[bool, bool, bool]] = {}
    for start in range(0, len(others), 500):
        chunk = others[start : start + 500]
        marks = ",".join("?" * len(chunk))
        friends = {
            r["friend_id"]
            for r in tx.all(
                f"SELECT friend_id FROM friendships WHERE user_id = ? AND friend_id IN ({marks})", (user_id, *chunk)
            )
        }
        blocked = {
            r["blocked_id"]
            for r in tx.all(
                f"SELECT blocked_id FROM blocks WHERE user_id = ? AND blocked_id IN ({marks})", (user_id, *chunk)
            )
        }
        blocked_by = {
            r["user_id"]
            for r in tx.all(
                f"SELECT user_id FROM blocks WHERE blocked_id = ? AND user_id IN ({marks})", (user_id, *chunk)
            )
        }
        found.update((o, (o in friends, o in blocked, o in blocked_by)) for o in chunk)
    return found


def related(tx: Tx, user_id: int, other_id: int) -> bool:
    """Whether ``user_id`` already knows ``other_id``: they are friends, a request is pending between
    them (either way), ``user_id`` has blocked them, or they share a conversation.

    One statement whatever the answer, so an unrelated user and a user who does not exist cost the
    same. Being blocked *by* the other is not a relation: counting it would reveal the block.
    """
    row = tx.one(
        "SELECT EXISTS (SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?)"
        " OR EXISTS (SELECT 1 FROM friend_requests WHERE status = 'pending'"
        " AND ((from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?)))"
        " OR EXISTS (SELECT 1 FROM blocks WHERE user_id = ? AND blocked_id = ?)"
        " OR EXISTS (SELECT 1 FROM members m JOIN members o ON o.conversation_id = m.conversation_id"
        " WHERE m.user_id = ? AND o.user_id = ?) AS related",
        (user_id, other_id, user_id, other_id, other_id, user_id, user_id, other_id, user_id, other_id),
    )
    assert row is not None
    return bool(row["related"])


def friend_count(tx: Tx, user_id: int) -> int:
    return int(tx.value("SELECT COUNT(*) FROM friendships WHERE user_id = ?", (user_id,)))


def friendship(tx: Tx, user_id: int, friend_id: int) -> Row | None:
    return tx.one(
        "SELECT remark, created_at FROM friendships WHERE user_id = ? AND friend_id = ?", (user_id, friend_id)
    )


def friends(tx: Tx, user_id: int) -> list[Row]:
    return tx.all(
        "SELECT u.id, u.handle, u.display_name, u.status, u.avatar_id, f.remark, f.created_at,"
        " EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = f.user_id AND b.blocked_id = f.friend_id) AS blocked"
        " FROM friendships f JOIN users u ON u.id = f.friend_id"
        " WHERE f.user_id = ? AND u.disabled = 0 ORDER BY f.created_at, u.id",
        (user_id,),
    )


def add_friendship(tx: Tx, a: int, b: int, now: int) -> None:
    tx.executemany(
        "INSERT INTO friendships (user_id, friend_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [(a, b, now), (b, a, now)],
    )


def remove_friendship(tx: Tx, a: int, b: int) -> bool:
    removed = tx.execute(
        "DELETE FROM friendships WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)",
        (a, b, b, a),
    )
    return removed > 0


def set_remark(tx: Tx, user_id: int, friend_id: int, remark: str) -> bool:
    return (
        tx.execute(
            "UPDATE friendships SET remark = ? WHERE user_id = ? AND friend_id = ?", (remark, user_id, friend_id)
        )
        > 0
    )


def remarks(tx: Tx, user_id: int, friend_ids: list[int]) -> dict[int, str]:
    if not friend_ids:
        return {}
    marks = ",".join("?" * len(friend_ids))
    rows = tx.all(
        f"SELECT friend_id, remark FROM friendships WHERE user_id = ? AND friend_id IN ({marks})",
        (user_id, *friend_ids),
    )
    return {r["friend_id"]: r["remark"] for r in rows}


# -- requests ----------------------------------------------------------------------------------

_REQUEST = "SELECT id, from_id, to_id, greeting, status, silenced, created_at, updated_at FROM friend_requests"


def request(tx: Tx, request_id: int) -> Row | None:
    return tx.one(f"{_REQUEST} WHERE id = ?", (request_id,))


def pending_request(tx: Tx, from_id: int, to_id: int) -> Row | None:
    return tx.one(f"{_REQUEST} WHERE from_id = ? AND to_id = ? AND status = 'pending'", (from_id, to_id))


def insert_request(tx: Tx, from_id: int, to_id: int, greeting: str, silenced: bool, now: int) -> int:
    return int(
        tx.value(
            "INSERT INTO friend_requests (from_id, to_id, greeting, status, silenced, created_at, updated_at)"
            " VALUES (?, ?, ?, 'pending', ?, ?, ?) RETURNING id",
            (from_id, to_id, greeting, int(silenced), now, now),
        )
    )


def update_request(tx: Tx, request_id: int, now: int, status: str | None = None, greeting: str | None = None) -> None:
    if status is not None:
        tx.execute("UPDATE friend_requests SET status = ?, updated_at = ? WHERE id = ?", (status, now, request_id))
    if greeting is not None:
        tx.execute("UPDATE friend_requests SET greeting = ?, updated_at = ? WHERE id = ?", (greeting, now, request_id))


def open_requests(tx: Tx, user_id: int) -> list[Row]:
    """Pending requests to the user (not silenced) and from the user (all, silenced or not)."""
    return tx.all(
        f"{_REQUEST} WHERE status = 'pending' AND ((to_id = ? AND silenced = 0) OR from_id = ?)"
        " ORDER BY created_at DESC, id DESC",
        (user_id, user_id),
    )


# -- blocks ------------------------------------------------------------------------------------


def has_blocked(tx: Tx, user_id: int, other_id: int) -> bool:
    """Whether ``user_id`` has blocked ``other_id``."""
    return tx.one("SELECT 1 FROM blocks WHERE user_id = ? AND blocked_id = ?", (user_id, other_id)) is not None


def block(tx: Tx, user_id: int, other_id: int, now: int) -> bool:
    return (
        tx.execute(
            "INSERT INTO blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (user_id, other_id, now),
        )
        > 0
    )


def unblock(tx: Tx, user_id: int, other_id: int) -> bool:
    return tx.execute("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?", (user_id, other_id)) > 0


def blocked(tx: Tx, user_id: int) -> list[Row]:
    return tx.all(
        "SELECT u.id, u.handle, u.display_name, u.status, u.avatar_id, b.created_at FROM blocks b"
        " JOIN users u ON u.id = b.blocked_id WHERE b.user_id = ? ORDER BY b.created_at",
        (user_id,),
    )


# -- invite links -----------------------------------------------------------------------------


def invite_link(tx: Tx, user_id: int) -> Row | None:
    return tx.one("SELECT user_id, token_hash, nonce, created_at FROM invite_links WHERE user_id = ?", (user_id,))


def set_invite_link(tx: Tx, user_id: int, token_hash: bytes, nonce: bytes, now: int) -> None:
    """The user's one link, made or replaced (the old token stops working at once)."""
    tx.execute(
        "INSERT INTO invite_links (user_id, token_hash, nonce, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, nonce = excluded.nonce,"
        " created_at = excluded.created_at",
        (user_id, token_hash, nonce, now),
    )


def inviter(tx: Tx, token_hash: bytes, visitor_id: int) -> Row | None:
    """The profile behind a link, for ``visitor_id``: None for a link nobody has, a rotated one, a
    disabled or deleted account's, and one whose owner blocked the visitor. One statement for all
    of them, so that none of them answers differently (nor in another time)."""
    return tx.one(
        "SELECT u.id, u.handle, u.display_name, u.status, u.avatar_id FROM invite_links i"
        " JOIN users u ON u.id = i.user_id"
        " WHERE i.token_hash = ? AND u.disabled = 0"
        " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = i.user_id AND b.blocked_id = ?)",
        (token_hash, visitor_id),
    )


# -- account deletion (kith.accounts.deletion) -------------------------------------------------


def requests_of(tx: Tx, user_id: int) -> list[Row]:
    """Every friend request from or to the user, whatever its status."""
    return tx.all(f"{_REQUEST} WHERE from_id = ? OR to_id = ? ORDER BY id", (user_id, user_id))


def blockers(tx: Tx, user_id: int) -> list[int]:
    """Who has blocked the user."""
    return [r["user_id"] for r in tx.all("SELECT user_id FROM blocks WHERE blocked_id = ?", (user_id,))]


def forget_user(tx: Tx, user_id: int) -> None:
    """Delete the user's friendships (both sides), friend requests, blocks (both directions) and invite link."""
    tx.execute("DELETE FROM invite_links WHERE user_id = ?", (user_id,))
    tx.execute("DELETE FROM friendships WHERE user_id = ? OR friend_id = ?", (user_id, user_id))
    tx.execute("DELETE FROM friend_requests WHERE from_id = ? OR to_id = ?", (user_id, user_id))
    tx.execute("DELETE FROM blocks WHERE user_id = ? OR blocked_id = ?", (user_id, user_id))
