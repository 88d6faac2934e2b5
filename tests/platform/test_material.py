"""Permanent material in-process: kept past the sweep until deleted, capped per account, let go when
its owner's account goes, and a video's description (ready for when media have a video kind)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import mediafiles
import pytest
from domain import Kit

from kith.accounts.models import Caller
from kith.platform import material
from kith.platform.models import WeChatError
from kith.storage.database import Row

BASE = "https://kith.example.org"


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def drain(kit: Kit) -> None:
    while await kit.outbox.drain_once():
        pass


async def an_account(kit: Kit) -> tuple[Caller, Row]:
    owner = await kit.user()
    created = await kit.platform.create_account(owner, f"Harbour {owner.user_id}", "subscription", "")
    row = await kit.db.read(lambda tx: tx.one("SELECT * FROM official_accounts WHERE id = ?", (created.account.id,)))
    return owner, row


async def add(kit: Kit, account: Row, media_type: str = "image", data: bytes | None = None) -> str:
    made = await kit.platform.material.add(
        account, media_type, f"{media_type}.png", one(data or mediafiles.png(40, 20)), None, None, BASE
    )
    return str(made["media_id"])


async def media_ids(kit: Kit) -> set[str]:
    return {r[0] for r in await kit.rows("SELECT id FROM media")}


async def test_material_outlives_the_sweep_until_it_is_deleted(kit: Kit) -> None:
    _, account = await an_account(kit)
    kept = await add(kit, account)
    temporary = await kit.platform.upload_media(account, "image", "t.png", one(mediafiles.png(30, 30)), None)
    assert temporary["media_id"] in await media_ids(kit)
    (blob,) = await kit.rows("SELECT sha256 FROM media WHERE id = ?", kept)
    path = kit.media.blobs.path(blob[0])
    kit.clock.advance(kit.settings.media_sweep_grace_seconds + 1)
    await drain(kit)
    assert await media_ids(kit) == {kept}  # the temporary upload nothing referred to is gone
    assert path.exists()

    await kit.platform.material.delete(account, {"media_id": kept})
    assert await kit.rows("SELECT * FROM account_material") == []
    await drain(kit)
    assert await media_ids(kit) == set()
    assert not path.exists()
    with pytest.raises(WeChatError) as gone:
        await kit.platform.material.get(account, {"media_id": kept}, BASE)
    assert gone.value.errcode == 40007


async def test_material_sent_in_a_message_stays_with_the_message(kit: Kit) -> None:
    _, account = await an_account(kit)
    follower = await kit.user()
    await kit.platform.follow(follower, account["id"])
    kept = await add(kit, account)
    await kit.platform.mass_send(account, {"msgtype": "image", "image": {"media_id": kept}}, None)
    await kit.platform.material.delete(account, {"media_id": kept})
    kit.clock.advance(kit.settings.media_sweep_grace_seconds + 1)
    await drain(kit)
    assert await media_ids(kit) == {kept}  # the follower's message still shows it
    assert (await kit.platform.material.count(account))["image_count"] == 0


async def test_an_account_keeps_at_most_its_cap_and_a_refusal_keeps_nothing(kit: Kit, monkeypatch: Any) -> None:
    monkeypatch.setitem(material.MAX_KEPT, "image", 2)
    _, account = await an_account(kit)
    await add(kit, account, "image")
    await add(kit, account, "thumb")  # a thumb is a picture: it counts with them
    before = await media_ids(kit)
    for media_type in ("image", "thumb"):
        with pytest.raises(WeChatError) as full:
            await add(kit, account, media_type)
        assert full.value.errcode == 45009
    assert await media_ids(kit) == before
    await add(kit, account, "voice", mediafiles.wav(0.3))  # other kinds have their own caps
    assert await kit.platform.material.count(account) == {
        "voice_count": 1, "video_count": 0, "image_count": 2, "news_count": 0}  # fmt: skip


async def test_an_owner_who_leaves_lets_their_accounts_material_go(kit: Kit) -> None:
    owner, account = await an_account(kit)
    _, other = await an_account(kit)
    await add(kit, account)
    theirs = await add(kit, other)
    await kit.deletion.delete(owner.user_id)
    kit.clock.advance(kit.settings.media_sweep_grace_seconds + 1)
    await drain(kit)
    assert await kit.rows("SELECT account_id, media_id FROM account_material") == [(other["id"], theirs)]
    assert await media_ids(kit) == {theirs}


@pytest.mark.parametrize(
    ("raw", "errcode"),
    [
        (None, 40035),
        ("", 40035),
        ("not json", 40035),
        ('["title"]', 40035),
        ('{"introduction": "no title"}', 40035),
        ('{"title": "  "}', 40035),
        ('{"title": 5, "introduction": ""}', 40035),
        ('{"title": "t", "introduction": 5}', 40035),
        ('{"title": "' + "t" * 65 + '", "introduction": ""}', 45003),
        ('{"title": "t", "introduction": "' + "i" * 201 + '"}', 45004),
    ],
)
def test_a_videos_description_is_checked(raw: str | None, errcode: int) -> None:
    with pytest.raises(WeChatError) as refused:
        material._description(raw)
    assert refused.value.errcode == errcode


def test_a_videos_description_as_either_library_sends_it() -> None:
    assert material._description('{"title": "Regatta  day", "introduction": "Boats"}') == ("Regatta day", "Boats")
    assert material._description('{"title": "\u5e06\u8239"}') == ("\u5e06\u8239", "")


async def test_a_video_that_is_not_one_is_refused_and_a_kept_one_answers_as_wechat_does(kit: Kit) -> None:
    _, account = await an_account(kit)
    described = '{"title": "Regatta", "introduction": "Boats"}'
    with pytest.raises(WeChatError) as refused:
        await kit.platform.material.add(account, "video", "v.mp4", one(b"x"), None, described, BASE)
    assert refused.value.errcode == 40005
    assert await media_ids(kit) == set()
    # a video row (here over a picture) answers with its description and a link media/get serves
    media_id = await add(kit, account)
    await kit.db.write(lambda tx: tx.execute(
        "UPDATE account_material SET kind = 'video', title = 'Regatta', introduction = 'Boats'"))  # fmt: skip
    down = f"{BASE}/cgi-bin/media/get?access_token=T&media_id={media_id}&download=1"
    assert await kit.platform.material.get(account, {"media_id": media_id}, BASE, "T") == {
        "title": "Regatta", "description": "Boats", "down_url": down}  # fmt: skip
    page = await kit.platform.material.batch(account, {"type": "video", "offset": 0, "count": 1}, BASE)
    assert [(i["media_id"], "url" in i) for i in page["item"]] == [(media_id, False)]
    assert (await kit.platform.material.count(account))["video_count"] == 1
