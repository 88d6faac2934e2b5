"""SQL of push subscriptions, preview settings and coalescing."""

from __future__ import annotations

from kith.storage.database import Row, Tx, placeholders

_CHUNK = 500


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def count(tx: Tx, user_id: int) -> int:
    return int(tx.value("SELECT COUNT(*) FROM push_subscriptions WHERE user_id = ?", (user_id,)) or 0)


def of_device(tx: Tx, device_id: int) -> Row | None:
    return tx.one("SELECT * FROM push_subscriptions WHERE device_id = ?", (device_id,))


def of_user(tx: Tx, user_id: int) -> list[Row]:
    return tx.all("SELECT * FROM push_subscriptions WHERE user_id = ? ORDER BY id", (user_id,))


def save(tx: Tx, user_id: int, device_id: int, endpoint: str, p256dh: str, auth: str, now: int) -> int:
    """The device's subscription, new or replacing its last one; an endpoint another device had
    (a browser now signed in to another account) moves to this one."""
    tx.execute("DELETE FROM push_subscriptions WHERE endpoint = ? AND device_id <> ?", (endpoint, device_id))
    return int(
        tx.value(
            "INSERT INTO push_subscriptions (user_id, device_id, endpoint, p256dh, auth, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET endpoint = excluded.endpoint,"
            " p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at RETURNING id",
            (user_id, device_id, endpoint, p256dh, auth, now),
        )
    )


def delete_of_device(tx: Tx, device_id: int) -> bool:
    return tx.execute("DELETE FROM push_subscriptions WHERE device_id = ?", (device_id,)) > 0


def delete_gone(tx: Tx, subscription_id: int, endpoint: str) -> None:
    """A subscription the push service no longer knows (unless the device has subscribed anew since)."""
    tx.execute("DELETE FROM push_subscriptions WHERE id = ? AND endpoint = ?", (subscription_id, endpoint))


def subscribed(tx: Tx, user_ids: list[int]) -> list[int]:
    """Those of ``user_ids`` with at least one subscription."""
    found: list[int] = []
    for chunk in _chunks(user_ids):
        rows = tx.all(
            f"SELECT DISTINCT user_id FROM push_subscriptions WHERE user_id IN ({placeholders(len(chunk))})", chunk
        )
        found += [r["user_id"] for r in rows]
    return sorted(found)


def subscriptions(tx: Tx, user_ids: list[int]) -> list[Row]:
    rows: list[Row] = []
    for chunk in _chunks(user_ids):
        rows += tx.all(
            "SELECT id, user_id, endpoint, p256dh, auth FROM push_subscriptions"
            f" WHERE user_id IN ({placeholders(len(chunk))}) ORDER BY id",
            chunk,
        )
    return rows


def previews(tx: Tx, user_ids: list[int]) -> set[int]:
    """Those of ``user_ids`` who let pushes show who wrote and what."""
    found: set[int] = set()
    for chunk in _chunks(user_ids):
        rows = tx.all(
            f"SELECT user_id FROM push_settings WHERE previews = 1 AND user_id IN ({placeholders(len(chunk))})", chunk
        )
        found.update(r["user_id"] for r in rows)
    return found


def set_previews(tx: Tx, user_id: int, on: bool) -> None:
    tx.execute(
        "INSERT INTO push_settings (user_id, previews) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET previews = excluded.previews",
        (user_id, int(on)),
    )


def claim(tx: Tx, user_id: int, key: int, now: int, window_ms: int) -> bool:
    """Whether ``user_id`` may have a push about ``key`` (a conversation) now: none in the last
    ``window_ms``. Claims it if so; the user's stale claims go."""
    tx.execute("DELETE FROM push_coalesce WHERE user_id = ? AND pushed_at <= ?", (user_id, now - window_ms))
    return (
        tx.one(
            "INSERT INTO push_coalesce (user_id, conversation_id, pushed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, conversation_id) DO NOTHING RETURNING user_id",
            (user_id, key, now),
        )
        is not None
    )


def forget_user(tx: Tx, user_id: int) -> None:
    for table in ("push_subscriptions", "push_settings", "push_coalesce"):
        tx.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
