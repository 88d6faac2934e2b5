"""SQL of accounts and devices."""

from __future__ import annotations

from typing import Any

from kith.accounts.models import DELETED_HANDLE, DELETED_NAME, Device
from kith.storage.database import Row, Tx

_USER_COLUMNS = "id, handle, display_name, status, avatar_id"


def insert_user(tx: Tx, handle: str, display_name: str, password_hash: str, now: int) -> int | None:
    """The new user's id (with an empty event log), or None if the handle is taken."""
    user_id = tx.value(
        "INSERT INTO users (handle, display_name, password_hash, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (handle) DO NOTHING RETURNING id",
        (handle, display_name, password_hash, now),
    )
    if user_id is not None:
        tx.execute("INSERT INTO event_heads (user_id, last_seq) VALUES (?, 0)", (user_id,))
    return user_id  # type: ignore[no-any-return]


def any_user(tx: Tx) -> bool:
    return tx.one("SELECT 1 FROM users LIMIT 1") is not None


def user(tx: Tx, user_id: int) -> Row | None:
    return tx.one(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ? AND disabled = 0", (user_id,))


def users(tx: Tx, user_ids: list[int]) -> dict[int, Row]:
    found: dict[int, Row] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in tx.all(f"SELECT {_USER_COLUMNS} FROM users WHERE id IN ({marks})", chunk):
            found[row["id"]] = row
    return found


def shown_users(tx: Tx, user_ids: list[int]) -> dict[int, Row]:
    """Live users, or the tombstones of deleted ones, by id (a disabled account shows as nobody)."""
    found: dict[int, Row] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = tx.all(
            f"SELECT {_USER_COLUMNS} FROM users WHERE id IN ({marks}) AND (disabled = 0 OR handle LIKE ?)",
            (*chunk, DELETED_HANDLE + "%"),
        )
        found.update((row["id"], row) for row in rows)
    return found


def user_by_handle(tx: Tx, handle: str) -> Row | None:
    return tx.one(f"SELECT {_USER_COLUMNS} FROM users WHERE handle = ? AND disabled = 0", (handle,))


def credentials(tx: Tx, handle: str) -> Row | None:
    return tx.one("SELECT id, password_hash, disabled FROM users WHERE handle = ?", (handle,))


def password_hash(tx: Tx, user_id: int) -> str | None:
    return tx.value("SELECT password_hash FROM users WHERE id = ?", (user_id,))  # type: ignore[no-any-return]


def set_password(tx: Tx, user_id: int, password_hash: str) -> None:
    tx.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def set_disabled(tx: Tx, user_id: int, disabled: bool) -> int:
    return tx.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user_id))


def update_profile(tx: Tx, user_id: int, changes: dict[str, Any]) -> None:
    assignments = ", ".join(f"{column} = ?" for column in changes)
    tx.execute(f"UPDATE users SET {assignments} WHERE id = ?", (*changes.values(), user_id))


def all_users(tx: Tx) -> list[Row]:
    return tx.all(
        "SELECT u.id, u.handle, u.display_name, u.disabled, u.created_at,"
        " (SELECT COUNT(*) FROM devices d WHERE d.user_id = u.id) AS devices FROM users u ORDER BY u.id"
    )


def insert_device(tx: Tx, user_id: int, token_hash: bytes, name: str, now: int) -> int:
    return int(
        tx.value(
            "INSERT INTO devices (user_id, token_hash, name, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (user_id, token_hash, name, now, now),
        )
    )


def device_by_token(tx: Tx, token_hash: bytes) -> Row | None:
    return tx.one(
        "SELECT d.id, d.user_id, d.last_seen_at FROM devices d JOIN users u ON u.id = d.user_id"
        " WHERE d.token_hash = ? AND u.disabled = 0",
        (token_hash,),
    )


def touch_device(tx: Tx, device_id: int, now: int) -> None:
    tx.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", (now, device_id))


def devices(tx: Tx, user_id: int) -> list[Device]:
    rows = tx.all("SELECT id, name, created_at, last_seen_at FROM devices WHERE user_id = ? ORDER BY id", (user_id,))
    return [Device(r["id"], r["name"], r["created_at"], r["last_seen_at"]) for r in rows]


def device_ids(tx: Tx, user_id: int) -> list[int]:
    return [r["id"] for r in tx.all("SELECT id FROM devices WHERE user_id = ?", (user_id,))]


def delete_device(tx: Tx, user_id: int, device_id: int) -> bool:
    return tx.execute("DELETE FROM devices WHERE id = ? AND user_id = ?", (device_id, user_id)) > 0


# -- account deletion (kith.accounts.deletion) -------------------------------------------------


def forget_devices(tx: Tx, user_id: int) -> list[int]:
    """Delete every device of the user (every session ends); returns their ids."""
    ids = device_ids(tx, user_id)
    tx.execute("DELETE FROM devices WHERE user_id = ?", (user_id,))
    return ids


def tombstone(tx: Tx, user_id: int) -> None:
    """Keep only the row messages refer to: no profile, no password, the handle freed for others."""
    tx.execute(
        "UPDATE users SET handle = ?, display_name = ?, status = '', password_hash = '', avatar_id = NULL,"
        " disabled = 1 WHERE id = ?",
        (f"{DELETED_HANDLE}{user_id}", DELETED_NAME, user_id),
    )


MAX_SIGN_IN_KEYS = 50  # remembered per user; the least recently used go first


def knows_sign_in_key(tx: Tx, user_id: int, key_hash: bytes) -> bool:
    return tx.one("SELECT 1 FROM sign_in_keys WHERE user_id = ? AND key_hash = ?", (user_id, key_hash)) is not None


def remember_sign_in_key(tx: Tx, user_id: int, key_hash: bytes, now: int) -> None:
    tx.execute(
        "INSERT INTO sign_in_keys (user_id, key_hash, last_used_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id, key_hash) DO UPDATE SET last_used_at = excluded.last_used_at",
        (user_id, key_hash, now),
    )
    tx.execute(
        "DELETE FROM sign_in_keys WHERE user_id = ? AND key_hash NOT IN"
        " (SELECT key_hash FROM sign_in_keys WHERE user_id = ? ORDER BY last_used_at DESC LIMIT ?)",
        (user_id, user_id, MAX_SIGN_IN_KEYS),
    )


def forget_sign_in_keys(tx: Tx, user_id: int) -> None:
    tx.execute("DELETE FROM sign_in_keys WHERE user_id = ?", (user_id,))
