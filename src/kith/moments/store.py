"""SQL of Moments: posts, audiences, timelines, likes, comments and the time-window setting."""

from __future__ import annotations

from collections.abc import Iterable

from kith.storage.database import Row, Tx, placeholders

_POST = "SELECT id, author_id, client_id, text, place, images, audience, created_at FROM moment_posts"
_CHUNK = 500


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def insert_post(
    tx: Tx, author_id: int, client_id: str, text: str, place: str, images: str, audience: str, now: int
) -> int:
    return int(
        tx.value(
            "INSERT INTO moment_posts (author_id, client_id, text, place, images, audience, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (author_id, client_id, text, place, images, audience, now),
        )
    )


def post_by_client_id(tx: Tx, author_id: int, client_id: str) -> Row | None:
    return tx.one(_POST + " WHERE author_id = ? AND client_id = ?", (author_id, client_id))


def post(tx: Tx, post_id: int) -> Row | None:
    return tx.one(_POST + " WHERE id = ?", (post_id,))


def posts(tx: Tx, post_ids: list[int]) -> dict[int, Row]:
    found: dict[int, Row] = {}
    for chunk in _chunks(post_ids):
        found.update((r["id"], r) for r in tx.all(_POST + f" WHERE id IN ({placeholders(len(chunk))})", chunk))
    return found


def insert_audience(tx: Tx, post_id: int, user_ids: list[int]) -> None:
    tx.executemany("INSERT INTO moment_audience (post_id, user_id) VALUES (?, ?)", [(post_id, u) for u in user_ids])


def audience_of(tx: Tx, post_id: int) -> list[int]:
    return [r["user_id"] for r in tx.all("SELECT user_id FROM moment_audience WHERE post_id = ?", (post_id,))]


def audiences(tx: Tx, post_ids: list[int]) -> dict[int, list[int]]:
    """The people each of these posts' only/except audience names."""
    found: dict[int, list[int]] = {}
    for chunk in _chunks(post_ids):
        rows = tx.all(
            f"SELECT post_id, user_id FROM moment_audience WHERE post_id IN ({placeholders(len(chunk))})"
            " ORDER BY post_id, user_id",
            chunk,
        )
        for r in rows:
            found.setdefault(r["post_id"], []).append(r["user_id"])
    return found


def named_in(tx: Tx, user_id: int, post_ids: list[int]) -> set[int]:
    """Which of these posts name ``user_id`` in their only/except audience."""
    found: set[int] = set()
    for chunk in _chunks(post_ids):
        rows = tx.all(
            f"SELECT post_id FROM moment_audience WHERE user_id = ? AND post_id IN ({placeholders(len(chunk))})",
            (user_id, *chunk),
        )
        found.update(r["post_id"] for r in rows)
    return found


def add_to_timelines(tx: Tx, post_id: int, author_id: int, user_ids: list[int]) -> None:
    """Write the post into these readers' timelines (again is harmless: a retried fan-out)."""
    tx.executemany(
        "INSERT INTO moment_timeline (user_id, post_id, author_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [(u, post_id, author_id) for u in user_ids],
    )


def timeline(tx: Tx, user_id: int, before: int, limit: int) -> list[int]:
    """The ids of the posts in ``user_id``'s timeline older than ``before``, newest first."""
    rows = tx.all(
        "SELECT post_id FROM moment_timeline WHERE user_id = ? AND post_id < ? ORDER BY post_id DESC LIMIT ?",
        (user_id, before, limit),
    )
    return [r["post_id"] for r in rows]


def album(tx: Tx, author_id: int, before: int, limit: int, since: int) -> list[int]:
    """The ids of ``author_id``'s posts older than ``before`` and not older than ``since``, newest first."""
    rows = tx.all(
        "SELECT id FROM moment_posts WHERE author_id = ? AND id < ? AND created_at >= ? ORDER BY id DESC LIMIT ?",
        (author_id, before, since, limit),
    )
    return [r["id"] for r in rows]


def likes(tx: Tx, post_ids: list[int]) -> list[Row]:
    found: list[Row] = []
    for chunk in _chunks(post_ids):
        found += tx.all(
            f"SELECT post_id, user_id, created_at FROM moment_likes WHERE post_id IN ({placeholders(len(chunk))})"
            " ORDER BY created_at, user_id",
            chunk,
        )
    return found


def comments(tx: Tx, post_ids: list[int]) -> list[Row]:
    found: list[Row] = []
    for chunk in _chunks(post_ids):
        found += tx.all(
            "SELECT id, post_id, author_id, reply_to_id, reply_to_user_id, text, created_at FROM moment_comments"
            f" WHERE post_id IN ({placeholders(len(chunk))}) ORDER BY id",
            chunk,
        )
    return found


def like(tx: Tx, post_id: int, user_id: int, now: int) -> bool:
    """True if this is a new like."""
    added = tx.execute(
        "INSERT INTO moment_likes (post_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        (post_id, user_id, now),
    )
    return added > 0


def unlike(tx: Tx, post_id: int, user_id: int) -> bool:
    return tx.execute("DELETE FROM moment_likes WHERE post_id = ? AND user_id = ?", (post_id, user_id)) > 0


def comment_count(tx: Tx, post_id: int) -> int:
    return int(tx.value("SELECT COUNT(*) FROM moment_comments WHERE post_id = ?", (post_id,)))


def insert_comment(
    tx: Tx, post_id: int, author_id: int, reply_to: Row | None, text: str, now: int
) -> int:  # fmt: skip
    return int(
        tx.value(
            "INSERT INTO moment_comments (post_id, author_id, reply_to_id, reply_to_user_id, text, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (post_id, author_id, reply_to and reply_to["id"], reply_to and reply_to["author_id"], text, now),
        )
    )


def comment(tx: Tx, comment_id: int) -> Row | None:
    return tx.one(
        "SELECT id, post_id, author_id, reply_to_id, reply_to_user_id, text, created_at FROM moment_comments"
        " WHERE id = ?",
        (comment_id,),
    )


def delete_comment(tx: Tx, comment_id: int) -> None:
    tx.execute("DELETE FROM moment_comments WHERE id = ?", (comment_id,))


def delete_posts(tx: Tx, post_ids: list[int]) -> None:
    """Posts with everything hanging off them: their audience, timeline rows, likes and comments."""
    for chunk in _chunks(post_ids):
        marks = placeholders(len(chunk))
        for table in ("moment_likes", "moment_comments", "moment_audience", "moment_timeline"):
            tx.execute(f"DELETE FROM {table} WHERE post_id IN ({marks})", chunk)
        tx.execute(f"DELETE FROM moment_posts WHERE id IN ({marks})", chunk)


def post_ids_of(tx: Tx, author_id: int) -> list[int]:
    return [r["id"] for r in tx.all("SELECT id FROM moment_posts WHERE author_id = ?", (author_id,))]


def windows(tx: Tx, user_ids: list[int]) -> dict[int, int]:
    """Each user's time window in days (only those who set one)."""
    found: dict[int, int] = {}
    for chunk in _chunks(user_ids):
        rows = tx.all(
            f"SELECT user_id, window_days FROM moment_settings WHERE user_id IN ({placeholders(len(chunk))})", chunk
        )
        found.update((r["user_id"], r["window_days"]) for r in rows)
    return found


def set_window(tx: Tx, user_id: int, days: int) -> None:
    tx.execute(
        "INSERT INTO moment_settings (user_id, window_days) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET window_days = excluded.window_days",
        (user_id, days),
    )


def forget_user(tx: Tx, user_id: int) -> None:
    """What a deleted user did on others' posts, their timeline and their setting (their own posts
    go through ``delete_posts``)."""
    tx.execute("DELETE FROM moment_likes WHERE user_id = ?", (user_id,))
    tx.execute("DELETE FROM moment_comments WHERE author_id = ?", (user_id,))
    tx.execute("DELETE FROM moment_audience WHERE user_id = ?", (user_id,))
    tx.execute("DELETE FROM moment_timeline WHERE user_id = ?", (user_id,))
    tx.execute("DELETE FROM moment_settings WHERE user_id = ?", (user_id,))
