"""Articles (mpnews) in-process: the cleaning of their HTML, and a withdrawn mass send's fan-out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import mediafiles
import pytest
from domain import Kit

from kith.platform import articles
from kith.platform import service as platform_service
from kith.platform.models import WeChatError

PICTURE = "P" * 22


def cleaned(content: str) -> str:
    return articles.clean([{"title": "t", "thumb_media_id": "T" * 22, "content": content}]).articles[0]["content"]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("<p>plain</p>", "<p>plain</p>"),
        ('<p onclick="x()" style="color:red" class="c" id="i">p</p>', "<p>p</p>"),
        ("<script>alert(1)</script><p>a</p>", "<p>a</p>"),
        ("<style>p{}</style><p>a</p>", "<p>a</p>"),
        ('<iframe src="https://e.example"></iframe><p>a</p>', "<p>a</p>"),
        ('<form action="/x"><input name="p"></form><p>a</p>', "<p>a</p>"),
        ('<a href="javascript:alert(1)">j</a>', '<a target="_blank" rel="noopener noreferrer nofollow">j</a>'),
        ('<a href="https://ok.example/">ok</a>',
         '<a href="https://ok.example/" target="_blank" rel="noopener noreferrer nofollow">ok</a>'),
        ('<img src="https://tracker.example/p.gif">', "<img>"),
        (f'<img src="https://kith.example/api/v1/media/{PICTURE}" onerror="x()">',
         f'<img src="/api/v1/media/{PICTURE}">'),
        (f'<img src="/api/v1/media/{PICTURE}/../../x">', "<img>"),
        ('<svg><script>x()</script></svg><p>a</p>', "<p>a</p>"),
        ("<p>]]&gt;&lt;x&gt;</p>", "<p>]]&gt;&lt;x&gt;</p>"),
    ],
)  # fmt: skip
def test_only_a_few_tags_and_kiths_own_pictures_survive(given: str, kept: str) -> None:
    assert cleaned(given) == kept


def test_the_pictures_of_a_set_are_its_covers_and_inline_images_each_once() -> None:
    raw = [
        {"title": "a", "thumb_media_id": "T" * 22, "content": f'<img src="/api/v1/media/{PICTURE}">'},
        {"title": "b", "thumb_media_id": PICTURE, "content": "<p>b</p>", "digest": "  short   one "},
    ]
    made = articles.clean(raw)
    assert made.pictures == ["T" * 22, PICTURE]
    assert [a["digest"] for a in made.articles] == ["", "short one"]


async def drain(kit: Kit) -> None:
    while await kit.outbox.drain_once():
        pass


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_a_withdrawn_mass_send_goes_no_further(kit: Kit, monkeypatch: Any) -> None:
    monkeypatch.setattr(platform_service, "MASS_BATCH", 2)
    owner = await kit.user()
    created = await kit.platform.create_account(owner, "Harbour", "service", "")
    row = await kit.db.read(lambda tx: tx.one("SELECT * FROM official_accounts WHERE id = ?", (created.account.id,)))
    for _ in range(6):
        await kit.platform.follow(await kit.user(), row["id"])
    thumb = await kit.platform.upload_media(row, "thumb", "c.png", one(mediafiles.png(40, 20)), None)
    made = await kit.platform.upload_news(
        row, {"articles": [{"title": "t", "thumb_media_id": thumb["thumb_media_id"], "content": "<p>c</p>"}]},
        permanent=False,
    )  # fmt: skip
    await drain(kit)
    sent = await kit.platform.mass_send(row, {"msgtype": "mpnews", "mpnews": {"media_id": made["media_id"]}}, None)
    assert await kit.outbox.drain_once()  # the first batch: two followers
    await kit.platform.mass_delete(row, {"msg_id": sent["msg_id"]})
    await drain(kit)
    mass = await kit.db.read(lambda tx: tx.one("SELECT * FROM mass_sends WHERE id = ?", (sent["msg_id"],)))
    assert mass["sent"] == 2 and mass["finished_at"] is not None and mass["deleted_at"] is not None
    news = await kit.db.read(lambda tx: tx.value("SELECT COUNT(*) FROM messages WHERE kind = 'news'"))
    assert news == 2
    assert (await kit.platform.mass_get(row, {"msg_id": sent["msg_id"]}))["msg_status"] == "DELETE"
    with pytest.raises(WeChatError) as again:  # withdrawn articles cannot be sent again
        await kit.platform.mass_send(row, {"msgtype": "mpnews", "mpnews": {"media_id": made["media_id"]}}, None)
    assert again.value.errcode == 40007
