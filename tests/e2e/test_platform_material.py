"""Permanent material end to end, with the real wechatpy (``client.material.*``) and werobot's client:
added, counted, listed newest first, fetched, deleted; bad input refused with its errcode and
nothing stored; only the account's own material is ever visible."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import mediafiles
import pytest
from helpers import User, add_articles, kith_client, kith_robot, register
from wechatpy.exceptions import WeChatClientException

pytestmark = pytest.mark.asyncio(loop_scope="module")

VOICE_LIMIT = 100_000
STORED = ("media", "blobs", "media_refs", "account_material", "account_news")


async def publisher(server: Any) -> tuple[User, dict[str, Any], Any]:
    owner = await register(server)
    created = await owner.ok("POST", "/official-accounts", json={"name": f"Harbour {owner.id}", "kind": "service"})
    return owner, created["account"], kith_client(server.url, created["account"]["app_id"], created["app_secret"])


def refused(call: Any, *args: Any, **kwargs: Any) -> int:
    with pytest.raises(WeChatClientException) as caught:
        call(*args, **kwargs)
    return int(caught.value.errcode)


def counts(client: Any) -> dict[str, int]:
    answer = client.material.get_count()
    return {k: answer[k] for k in ("voice_count", "video_count", "image_count", "news_count")}


def named(name: str, data: bytes) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def stored(server: Any) -> dict[str, Any]:
    """What a refusal must not change: the rows of media and material, and the files on disk."""
    rows = {table: sorted(server.rows(f"SELECT * FROM {table}")) for table in STORED}
    files = sorted(p.name for p in Path(server.data_dir, "media").rglob("*") if p.is_file() and "tmp" not in p.parts)
    return rows | {"files": files}


async def test_material_through_wechatpy_and_werobot(make_server: Any) -> None:
    server = make_server()
    owner, account, client = await publisher(server)
    stranger = await register(server)
    assert counts(client) == {"voice_count": 0, "video_count": 0, "image_count": 0, "news_count": 0}

    picture = client.material.add("image", ("harbour.png", mediafiles.png(80, 40)))
    assert set(picture) == {"media_id", "url"}
    assert picture["url"] == f"{server.url}/api/v1/media/{picture['media_id']}"
    served = await owner.call("GET", f"/media/{picture['media_id']}")  # its owner may open the url
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert (await stranger.call("GET", f"/media/{picture['media_id']}")).status_code == 404  # nobody else
    voice = client.material.add("voice", ("hail.wav", mediafiles.wav(0.5)))
    assert set(voice) == {"media_id"}
    thumb = client.material.add("thumb", ("cover.png", mediafiles.png(64, 64)))
    news = add_articles(client, [{"thumb_media_id": thumb["media_id"], "title": "Tide tables",
                                          "content": "<p>High at noon</p>"}])  # fmt: skip

    # werobot's client: add, count, list
    robot = kith_robot(server.url, account["app_id"], client.secret)
    second = robot.upload_permanent_media("image", named("quay.png", mediafiles.png(50, 50)))
    assert second["url"].endswith("/api/v1/media/" + second["media_id"])
    assert counts(client) == {"voice_count": 1, "video_count": 0, "image_count": 3, "news_count": 1}
    assert robot.get_media_count()["image_count"] == 3

    # listed newest first, thumbs with the pictures, a page at a time
    page = client.material.batchget("image", 0, 20)
    assert (page["total_count"], page["item_count"]) == (3, 3)
    assert [i["media_id"] for i in page["item"]] == [second["media_id"], thumb["media_id"], picture["media_id"]]
    assert [i["name"] for i in page["item"]] == ["quay.png", "cover.png", "harbour.png"]
    assert all(i["url"] == f"{server.url}/api/v1/media/{i['media_id']}" and isinstance(i["update_time"], int)
               for i in page["item"])  # fmt: skip
    later = robot.get_media_list("image", 1, 1)
    assert (later["total_count"], later["item_count"], later["item"][0]["media_id"]) == (3, 1, thumb["media_id"])
    voices = client.material.batchget("voice")
    assert [(i["media_id"], i["name"], "url" in i) for i in voices["item"]] == [(voice["media_id"], "hail.wav", False)]
    sets = client.material.batchget("news", 0, 5)
    assert sets["total_count"] == 1 and sets["item"][0]["media_id"] == news["media_id"]
    assert sets["item"][0]["content"]["news_item"][0]["title"] == "Tide tables"
    assert client.material.batchget("video")["item"] == []

    # fetched: the bytes kith keeps (a picture re-encoded clean), as WeChat serves a file
    fetched = client.material.get(picture["media_id"])
    assert fetched.content == served.content
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.headers["content-disposition"] == 'attachment; filename="harbour.png"'
    heard = await owner.call("GET", f"/media/{voice['media_id']}")
    assert client.material.get(voice["media_id"]).content == heard.content
    items = client.material.get(news["media_id"])  # wechatpy hands back the set's news_item
    assert [i["title"] for i in items] == ["Tide tables"]
    assert items[0]["thumb_media_id"] == thumb["media_id"]

    # deleted: gone from the count, the list and get; the article set withdrawn from its readers
    client.material.delete(picture["media_id"])
    assert refused(client.material.get, picture["media_id"]) == 40007
    assert refused(client.material.delete, picture["media_id"]) == 40007
    robot.delete_permanent_media(second["media_id"])
    assert client.material.get_count()["image_count"] == 1
    assert [i["media_id"] for i in client.material.batchget("image")["item"]] == [thumb["media_id"]]
    refs = server.rows("SELECT media_id FROM media_refs WHERE ref_kind = 'account_material'")
    assert sorted(r[0] for r in refs) == sorted([voice["media_id"], thumb["media_id"]])
    assert (await owner.ok("GET", f"/articles/{news['media_id']}"))["articles"][0]["title"] == "Tide tables"
    client.material.delete(news["media_id"])
    gone = await owner.call("GET", f"/articles/{news['media_id']}")
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "article_deleted")
    assert client.material.get_count()["news_count"] == 0
    assert refused(client.material.get, news["media_id"]) == 40007
    assert client.material.batchget("news")["total_count"] == 0


async def test_bad_material_input_is_refused_with_its_errcode_and_stores_nothing(make_server: Any) -> None:
    server = make_server({"KITH_MEDIA_VOICE_MAX_BYTES": str(VOICE_LIMIT)})
    _, _, client = await publisher(server)
    _, _, other = await publisher(server)
    kept = client.material.add("image", ("kept.png", mediafiles.png(20, 20)))["media_id"]
    theirs = other.material.add("image", ("theirs.png", mediafiles.png(20, 20)))["media_id"]
    temporary = client.media.upload("image", ("t.png", mediafiles.png(20, 20)))["media_id"]
    their_set = add_articles(other, [{"thumb_media_id": theirs, "title": "t", "content": "<p>c</p>"}])
    uploaded = client.media.upload_articles([{"thumb_media_id": temporary, "title": "t", "content": "<p>c</p>"}])
    deadline = time.monotonic() + 10  # the pictures' thumbnails are made in the background: let them be
    while server.rows("SELECT id FROM media WHERE kind = 'image' AND thumb_sha256 IS NULL"):
        assert time.monotonic() < deadline, "no thumbnails"
        await asyncio.sleep(0.05)
    before = stored(server)

    png = mediafiles.png(20, 20)
    adds: list[tuple[str, Any, int]] = [
        ("a type kith does not keep", lambda: client.material.add("file", ("f.png", png)), 40004),
        ("no type", lambda: client.post("material/add_material", files={"media": ("f.png", png)}), 40004),
        ("a video that is not one",
         lambda: client.material.add("video", ("v.mp4", b"\0" * 64), title="Regatta", introduction="Boats"), 40005),
        ("a video without its description",
         lambda: client.post("material/add_material", params={"type": "video"}, files={"media": ("v.mp4", png)}),
         40035),
        ("an empty file", lambda: client.material.add("image", ("e.png", b"")), 44001),
        ("no body at all", lambda: client.post("material/add_material", params={"type": "image"}), 44001),
        ("another field than media",
         lambda: client.post("material/add_material", params={"type": "image"}, files={"file": ("f.png", png)}),
         40035),
        ("not a picture", lambda: client.material.add("image", ("f.png", b"hello, not a png")), 40005),
        ("a voice note that is not audio", lambda: client.material.add("voice", ("v.wav", png)), 40005),
        ("a voice note over the limit",
         lambda: client.material.add("voice", ("v.wav", b"RIFF" + b"\0" * VOICE_LIMIT)), 40006),
    ]  # fmt: skip
    for label, call, errcode in adds:
        assert refused(call) == errcode, label
    ids: list[tuple[str, Any, int]] = [
        ("another account's picture", theirs, 40007),
        ("another account's article set", their_set["media_id"], 40007),
        ("a temporary upload", temporary, 40007),
        ("a temporary article set", uploaded["media_id"], 40007),
        ("an id nobody has", "B" * 22, 40007),
        ("not an id", "../../etc/passwd", 40007),
        ("a number", 12345, 40007),
    ]
    for label, media_id, errcode in ids:
        for endpoint in ("material/get_material", "material/del_material"):
            assert refused(client.post, endpoint, data={"media_id": media_id}) == errcode, (label, endpoint)
    assert refused(client.post, "material/del_material", data={}) == 40007
    assert refused(client.post, "material/get_material") == 44002  # no body
    pages: list[tuple[str, dict[str, Any], int]] = [
        ("count 0", {"type": "image", "offset": 0, "count": 0}, 40035),
        ("count 21", {"type": "image", "offset": 0, "count": 21}, 40035),
        ("a negative offset", {"type": "image", "offset": -1, "count": 1}, 40035),
        ("an offset past any integer column", {"type": "news", "offset": 10**30, "count": 1}, 40035),
        ("an offset that is no number", {"type": "image", "offset": "x", "count": 1}, 40035),
        ("a count that is true", {"type": "image", "offset": 0, "count": True}, 40035),
        ("thumb is listed with image", {"type": "thumb", "offset": 0, "count": 1}, 40004),
        ("an unknown type", {"type": "file", "offset": 0, "count": 1}, 40004),
        ("no type", {"offset": 0, "count": 1}, 40004),
    ]
    for label, body, errcode in pages:
        assert refused(client.post, "material/batchget_material", data=body) == errcode, label
    assert stored(server) == before

    # only the account's own material is ever visible: each sees one picture, its own
    assert [i["media_id"] for i in client.material.batchget("image")["item"]] == [kept]
    assert [i["media_id"] for i in other.material.batchget("image")["item"]] == [theirs]
    assert other.material.get(theirs).content  # still theirs, untouched
    assert counts(client)["news_count"] == 0 and counts(other)["news_count"] == 1
