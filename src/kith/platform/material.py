"""Permanent material (``/cgi-bin/material/*``): the pictures, voice notes and videos an official account keeps.

A temporary upload (``media/upload``) lives until nothing refers to it; material is an upload of
the account's owner that the account keeps until it deletes it (``del_material``): a row in
``account_material`` and a media ref of kind ``account_material`` (whose ``ref_id`` is the account),
so the sweep leaves it alone. Only the account sees its material: every id is an upload's 128
random bits, and another account's id answers ``40007`` like one that does not exist.

Permanent article sets (``material/add_news``, ``draft/add``) are material too: ``get_material``,
``del_material``, ``batchget_material`` and ``get_materialcount`` answer for them as WeChat does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from kith.accounts.models import Caller
from kith.errors import DomainError, NotFound
from kith.events import EventLog, Writer
from kith.jsonenc import decode
from kith.media import access as media
from kith.media.models import IMAGE, MEDIA_ID, REF_ACCOUNT_MATERIAL, REF_ACCOUNT_NEWS, VIDEO, VOICE, Media
from kith.platform import articles, store
from kith.platform.models import MAX_DESCRIPTION, WeChatError
from kith.storage.database import Database, Row, Tx

if TYPE_CHECKING:
    from kith.media.service import MediaService, Stored

# WeChat's material types and the media kind each is stored as; a video is kept with its title and
# introduction (``_description``)
KINDS = {"image": IMAGE, "thumb": IMAGE, "voice": VOICE, "video": VIDEO}
# what an account keeps of each (WeChat: 100,000 pictures, 1,000 of the others); the owner's storage
# quota bounds their bytes as it bounds every upload of theirs
MAX_KEPT = {"image": 5_000, "voice": 1_000, "video": 1_000}
LISTED = {"image": ("image", "thumb"), "voice": ("voice",), "video": ("video",)}  # batchget's types (and news)
MAX_PAGE = 20
MAX_OFFSET = 1_000_000  # past every cap: a larger one finds nothing (and would not fit the database's integers)


def _group(media_type: str) -> str:
    """The type a material is counted and listed as: thumbs are pictures."""
    return "image" if media_type == "thumb" else media_type


async def upload(
    media_service: MediaService, account: Row, kind: str, name: str | None, chunks: AsyncIterator[bytes],
    declared: int | None,
) -> Media:  # fmt: skip
    """An upload of the account's owner, checked like any other; refusals in WeChat's codes."""
    try:
        return await media_service.do_upload(Caller(account["owner_id"], 0), kind, name, chunks, declared)
    except DomainError as exc:
        if exc.code in ("too_large", "image_too_large", "video_too_large", "video_too_long", "quota_exceeded"):
            raise WeChatError(40006, f"invalid media size: {exc.message}") from None
        if exc.code == "voice_too_long":
            raise WeChatError(45007, f"voice playtime out of limit: {exc.message}") from None
        if exc.code in ("rate_limited", "too_many_uploads"):
            raise WeChatError(45009, exc.message) from None
        if exc.code == "missing_body":
            raise WeChatError(44001, "empty media data") from None
        raise WeChatError(40005, f"invalid file type: {exc.message}") from None


def _description(raw: str | None) -> tuple[str, str]:
    """A video's ``description`` (JSON ``{"title", "introduction"}``; wechatpy sends it in the query,
    werobot as a form field): its title and introduction."""
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise WeChatError(40035, 'invalid description: a video needs {"title", "introduction"} as JSON')
    title, introduction = parsed.get("title"), parsed.get("introduction", "")
    if not isinstance(title, str) or not title.strip() or not isinstance(introduction, str):
        raise WeChatError(40035, "invalid description: a video needs its title (and introduction) as text")
    title, introduction = " ".join(title.split()), introduction.strip()
    if len(title) > articles.MAX_TITLE:
        raise WeChatError(45003, f"title size out of limit: at most {articles.MAX_TITLE} characters")
    if len(introduction) > MAX_DESCRIPTION:
        raise WeChatError(45004, f"description size out of limit: at most {MAX_DESCRIPTION} characters")
    return title, introduction


def _media_id(body: dict[str, Any]) -> str:
    media_id = body.get("media_id")
    if not isinstance(media_id, str) or not MEDIA_ID.match(media_id):
        raise WeChatError(40007, "invalid media_id")
    return media_id


def _kept_set(news: Row | None, account: Row) -> Row:
    """One of the account's permanent article sets, not deleted (a temporary one is not material)."""
    if news is None or news["account_id"] != account["id"] or not news["permanent"] or news["deleted_at"] is not None:
        raise WeChatError(40007, "invalid media_id")
    return news


def _whole(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise WeChatError(40035, f"invalid {key}: a whole number")
    return value


class Material:
    def __init__(self, db: Database, writer: Writer, media_service: MediaService) -> None:
        self.db = db
        self.writer = writer
        self.media_service = media_service

    async def add(
        self, account: Row, media_type: str, name: str | None, chunks: AsyncIterator[bytes], declared: int | None,
        description: str | None, base_url: str,
    ) -> dict[str, Any]:  # fmt: skip
        """``add_material``: ``{"media_id"}``, and for a picture its ``url`` in kith (usable in
        articles' HTML, as ``media/uploadimg``'s)."""
        kind = KINDS.get(media_type)
        if kind is None:
            raise WeChatError(40004, "invalid media type: kith keeps image, thumb, voice and video material")
        title, introduction = _description(description) if media_type == "video" else ("", "")
        group = _group(media_type)
        if await self.db.read(self._kept, account["id"], group) >= MAX_KEPT[group]:
            raise self._full(group)  # before a byte is stored; checked again when it is kept
        uploaded = await upload(self.media_service, account, kind, name, chunks, declared)

        def keep(tx: Tx, log: EventLog) -> None:
            store.lock_account(tx, account["id"])
            if self._kept(tx, account["id"], group) >= MAX_KEPT[group]:
                raise self._full(group)  # the upload is left to the sweep
            media.attach(tx, account["owner_id"], uploaded.id, REF_ACCOUNT_MATERIAL, account["id"], (kind,))
            store.insert_material(tx, account["id"], uploaded.id, media_type, title, introduction, log.now)

        await self.writer.run(keep)
        answer = {"media_id": uploaded.id}
        if media_type == "image":
            answer["url"] = f"{base_url}/api/v1/media/{uploaded.id}"
        return answer

    @staticmethod
    def _kept(tx: Tx, account_id: int, group: str) -> int:
        counts = store.material_counts(tx, account_id)
        return sum(counts.get(kind, 0) for kind in LISTED[group])

    @staticmethod
    def _full(group: str) -> WeChatError:
        return WeChatError(45009, f"reach max material limit: an account keeps at most {MAX_KEPT[group]} {group}")

    async def get(self, account: Row, body: dict[str, Any], base_url: str, token: str = "") -> Stored | dict[str, Any]:
        """``get_material``: a picture's or voice note's file, a video's title, description and
        ``down_url`` (``media/get`` with the caller's token), or an article set's ``news_item``."""
        media_id = _media_id(body)
        row = await self.db.read(store.material, account["id"], media_id)
        if row is None:
            news = _kept_set(await self.db.read(store.news, media_id), account)
            return {"news_item": articles.as_news_item(decode(news["articles"]), base_url, media_id)}
        if row["kind"] == "video":
            query = urlencode({"access_token": token, "media_id": media_id, "download": "1"})
            return {"title": row["title"], "description": row["introduction"],
                    "down_url": f"{base_url}/cgi-bin/media/get?{query}"}  # fmt: skip
        try:
            return await self.media_service.fetch_for_account(account["owner_id"], account["id"], media_id)
        except NotFound:
            raise WeChatError(40007, "invalid media_id") from None

    async def delete(self, account: Row, body: dict[str, Any]) -> None:
        """``del_material``: the material goes (its file once nothing else refers to it: a message
        that carried it keeps it); an article set is withdrawn, as ``message/mass/delete`` does."""
        media_id = _media_id(body)

        def delete(tx: Tx, log: EventLog) -> None:
            if store.material(tx, account["id"], media_id) is not None:
                store.delete_material(tx, account["id"], media_id)
                media.release_one(tx, log, media_id, REF_ACCOUNT_MATERIAL, account["id"])
                return
            news = _kept_set(store.news(tx, media_id), account)
            store.set_news(tx, news["id"], None, log.now)
            media.release(tx, log, REF_ACCOUNT_NEWS, [news["id"]])

        await self.writer.run(delete)

    async def count(self, account: Row) -> dict[str, int]:
        def read(tx: Tx) -> dict[str, int]:
            kept = {group: self._kept(tx, account["id"], group) for group in LISTED}
            news = store.news_since(tx, account["id"], 0, True)
            return {"voice_count": kept["voice"], "video_count": kept["video"], "image_count": kept["image"],
                    "news_count": news}  # fmt: skip

        return await self.db.read(read)

    async def batch(self, account: Row, body: dict[str, Any], base_url: str) -> dict[str, Any]:
        """``batchget_material``: a page of one type's material, newest first (``count`` 1 to 20)."""
        media_type = body.get("type")
        if media_type != "news" and media_type not in LISTED:
            raise WeChatError(40004, "invalid media type: image, voice, video or news")
        offset, count = _whole(body, "offset", 0), _whole(body, "count", MAX_PAGE)
        if not 0 <= offset <= MAX_OFFSET:
            raise WeChatError(40035, f"invalid offset: 0 to {MAX_OFFSET}")
        if not 1 <= count <= MAX_PAGE:
            raise WeChatError(40035, f"invalid count: 1 to {MAX_PAGE}")

        def read(tx: Tx) -> dict[str, Any]:
            if media_type == "news":
                total = store.news_since(tx, account["id"], 0, True)
                items = [
                    {"media_id": r["media_id"], "update_time": r["created_at"] // 1000,
                     "content": {"news_item": articles.as_news_item(decode(r["articles"]), base_url, r["media_id"]),
                                 "create_time": r["created_at"] // 1000, "update_time": r["created_at"] // 1000}}
                    for r in store.news_page(tx, account["id"], offset, count)
                ]  # fmt: skip
                return {"total_count": total, "item_count": len(items), "item": items}
            rows = store.material_page(tx, account["id"], LISTED[media_type], offset, count)
            found = media.describe(tx, [r["media_id"] for r in rows])
            items = []
            for r in rows:
                name = found[r["media_id"]].name if r["media_id"] in found else ""
                item: dict[str, Any] = {"media_id": r["media_id"], "name": name, "update_time": r["created_at"] // 1000}
                if media_type == "image":
                    item["url"] = f"{base_url}/api/v1/media/{r['media_id']}"
                items.append(item)
            return {"total_count": self._kept(tx, account["id"], media_type), "item_count": len(items), "item": items}

        return await self.db.read(read)
