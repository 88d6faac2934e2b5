"""SQL of media, their files (blobs) and what refers to them."""

from __future__ import annotations

from typing import Any

from kith.storage.database import Row, Tx, placeholders


def media(tx: Tx, media_id: str) -> Row | None:
    return tx.one("SELECT * FROM media WHERE id = ?", (media_id,))


def media_many(tx: Tx, media_ids: list[str]) -> list[Row]:
    if not media_ids:
        return []
    return tx.all(f"SELECT * FROM media WHERE id IN ({placeholders(len(media_ids))})", media_ids)


def lock_media(tx: Tx, media_id: str) -> Row | None:
    """The media row, locked until the transaction ends (on PostgreSQL: a sweep deleting it and a
    send attaching it take turns; SQLite's one writer already does)."""
    return tx.one("UPDATE media SET id = id WHERE id = ? RETURNING *", (media_id,))


def insert_media(tx: Tx, **columns: Any) -> None:
    names = ", ".join(columns)
    tx.execute(f"INSERT INTO media ({names}) VALUES ({placeholders(len(columns))})", tuple(columns.values()))


def delete_media(tx: Tx, media_id: str) -> None:
    tx.execute("DELETE FROM media_refs WHERE media_id = ?", (media_id,))
    tx.execute("DELETE FROM media WHERE id = ?", (media_id,))


def set_thumbnail(tx: Tx, media_id: str, sha256: str) -> None:
    tx.execute("UPDATE media SET thumb_sha256 = ? WHERE id = ?", (sha256, media_id))


def uploads_of(tx: Tx, owner_id: int) -> list[Row]:
    return tx.all("SELECT * FROM media WHERE owner_id = ? ORDER BY created_at, id", (owner_id,))


def used_bytes(tx: Tx, owner_id: int) -> int:
    return int(tx.value("SELECT COALESCE(SUM(size), 0) FROM media WHERE owner_id = ?", (owner_id,)) or 0)


# -- blobs: one row per stored file, counting the media rows that use it -------------------------


def use_blob(tx: Tx, sha256: str, size: int, now: int) -> None:
    """Count one more use of a file (creating its row): on PostgreSQL this locks the row, so a
    sweep letting go of the same file waits for this transaction, and the other way round."""
    tx.execute(
        "INSERT INTO blobs (sha256, size, uses, created_at) VALUES (?, ?, 1, ?)"
        " ON CONFLICT (sha256) DO UPDATE SET uses = blobs.uses + 1",
        (sha256, size, now),
    )


def release_blob(tx: Tx, sha256: str) -> bool:
    """Count one use less; True if that was the last (the row is gone: unlink the file now)."""
    left = tx.value("UPDATE blobs SET uses = uses - 1 WHERE sha256 = ? RETURNING uses", (sha256,))
    if left is not None and left <= 0:
        tx.execute("DELETE FROM blobs WHERE sha256 = ?", (sha256,))
        return True
    return False


# -- references -----------------------------------------------------------------------------------


def add_ref(tx: Tx, media_id: str, ref_kind: str, ref_id: int) -> None:
    tx.execute(
        "INSERT INTO media_refs (media_id, ref_kind, ref_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        (media_id, ref_kind, ref_id),
    )


def remove_refs(tx: Tx, ref_kind: str, ref_ids: list[int]) -> list[str]:
    """Drop every reference from these objects; the media ids they referred to."""
    if not ref_ids:
        return []
    marks = placeholders(len(ref_ids))
    rows = tx.all(
        f"DELETE FROM media_refs WHERE ref_kind = ? AND ref_id IN ({marks}) RETURNING media_id", (ref_kind, *ref_ids)
    )
    return sorted({r["media_id"] for r in rows})


def remove_ref(tx: Tx, media_id: str, ref_kind: str, ref_id: int) -> bool:
    return (
        tx.execute(
            "DELETE FROM media_refs WHERE media_id = ? AND ref_kind = ? AND ref_id = ?", (media_id, ref_kind, ref_id)
        )
        > 0
    )


def refs(tx: Tx, media_id: str) -> list[Row]:
    return tx.all("SELECT ref_kind, ref_id FROM media_refs WHERE media_id = ?", (media_id,))


def has_refs(tx: Tx, media_id: str) -> bool:
    return tx.one("SELECT 1 FROM media_refs WHERE media_id = ? LIMIT 1", (media_id,)) is not None
