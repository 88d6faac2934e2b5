"""What the rest of kith may ask of media: attach an upload to something, and let it go again."""

from __future__ import annotations

from kith.errors import Invalid, NotFound
from kith.events import EventLog
from kith.jsonenc import encode
from kith.media import store
from kith.media.models import Media, media_from_row
from kith.storage.database import Tx

SWEEP = "media.sweep"  # the outbox topic: delete a media file nothing refers to (after its grace period)


def describe(tx: Tx, media_ids: list[str]) -> dict[str, Media]:
    """The ``Media`` of each of these ids that exists (for listing what something refers to)."""
    return {row["id"]: media_from_row(row) for row in store.media_many(tx, media_ids)}


def own(tx: Tx, owner_id: int, media_id: str, kinds: tuple[str, ...]) -> Media:
    """``owner_id``'s upload ``media_id``, to be shared as one of ``kinds`` (only its uploader may share it)."""
    row = store.lock_media(tx, media_id)
    if row is None or row["owner_id"] != owner_id:
        raise NotFound("no such media: upload it first", "no_such_media", field="media_id")
    if row["kind"] not in kinds:
        raise Invalid(f"this needs media of kind {' or '.join(kinds)}, not {row['kind']}", "wrong_media_kind",
                      field="media_id")  # fmt: skip
    return media_from_row(row)


def refer(tx: Tx, media_id: str, ref_kind: str, ref_id: int) -> None:
    """(``ref_kind``, ``ref_id``) now refers to the media: who may see that object may fetch it."""
    store.add_ref(tx, media_id, ref_kind, ref_id)


def attach(tx: Tx, owner_id: int, media_id: str, ref_kind: str, ref_id: int, kinds: tuple[str, ...]) -> Media:
    """``own`` and ``refer`` at once."""
    found = own(tx, owner_id, media_id, kinds)
    refer(tx, media_id, ref_kind, ref_id)
    return found


def release(tx: Tx, log: EventLog, ref_kind: str, ref_ids: list[int]) -> None:
    """These objects no longer refer to any media (a recalled message, a replaced avatar): what they
    referred to is swept once nothing else does."""
    for media_id in store.remove_refs(tx, ref_kind, ref_ids):
        log.enqueue(SWEEP, encode({"media_id": media_id}))


def release_one(tx: Tx, log: EventLog, media_id: str, ref_kind: str, ref_id: int) -> None:
    """(``ref_kind``, ``ref_id``) no longer refers to ``media_id`` (its other references stay)."""
    if store.remove_ref(tx, media_id, ref_kind, ref_id):
        log.enqueue(SWEEP, encode({"media_id": media_id}))
