"""Media end to end: uploads of each kind, downloads with ranges and ETags, refusals that keep
nothing, who may fetch what, quotas, rate limits, the sweep, and a kill -9 mid-upload."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import mediafiles
import pytest
from backends import fresh_store, scale_out_env
from helpers import PASSWORD, Server, Socket, User, befriend, direct, register
from PIL import Image

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def upload(user: User, data: bytes, kind: str, name: str = "", *, multipart: bool = True) -> httpx.Response:
    if multipart:
        fields = {"kind": kind, **({"name": name} if name else {})}
        return await user.call("POST", "/media", data=fields, files={"file": (name or "blob", data)})
    params = {"kind": kind, **({"name": name} if name else {})}
    return await user.call(
        "POST", "/media", params=params, content=data, headers={"Content-Type": "application/octet-stream"}
    )


async def uploaded(user: User, data: bytes, kind: str, name: str = "", **kw: Any) -> dict[str, Any]:
    response = await upload(user, data, kind, name, **kw)
    assert response.status_code == 201, response.text
    return response.json()


def stored_files(server: Server) -> list[Path]:
    """The content-addressed files (not the temporary ones)."""
    root = server.data_dir / "media"
    return sorted(p for p in root.glob("??/??/*") if p.is_file()) if root.exists() else []


def media_rows(server: Server) -> tuple[int, int, int]:
    return tuple(server.rows(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("media", "blobs", "media_refs"))  # type: ignore[return-value]


async def eventually(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
def media_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own, where only refused uploads happen (so nothing may be stored)."""
    folder = tmp_path_factory.mktemp(f"media-{backend}")
    with fresh_store(backend, folder / "data" / "kith.db") as store:
        srv = Server(folder / "data", scale_out_env(str(store)) if backend == "postgres" else {}).start()
        yield srv
        srv.stop()


# -- round trips ---------------------------------------------------------------------------------


async def test_an_image_round_trip_is_clean_sized_and_thumbnailed(shared_server: Server) -> None:
    alice = await register(shared_server)
    photo = mediafiles.jpeg(1200, 800, gps=True, orientation=6)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(mediafiles.GPS_IFD)  # the original has a position
    media = await uploaded(alice, photo, "image", "IMG_0001.jpg")
    assert media["kind"] == "image" and media["mime"] == "image/jpeg" and media["name"] == "IMG_0001.jpg"
    assert (media["width"], media["height"]) == (800, 1200)  # the orientation was applied to the pixels
    assert len(media["id"]) == 22

    got = await alice.call("GET", f"/media/{media['id']}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["cache-control"].startswith("private")
    served = Image.open(io.BytesIO(got.content))
    assert served.size == (800, 1200)
    exif = served.getexif()
    assert not exif.get_ifd(mediafiles.GPS_IFD) and mediafiles.GPS_IFD not in exif
    assert b"GPS" not in got.content and "exif" not in served.info
    assert int(got.headers["content-length"]) == media["size"] == len(got.content)

    async def thumbnail() -> httpx.Response:
        return await alice.call("GET", f"/media/{media['id']}/thumbnail")

    deadline = time.monotonic() + 10
    while (thumb := await thumbnail()).headers["content-type"] != "image/webp":
        assert time.monotonic() < deadline, "no thumbnail was made"
        await asyncio.sleep(0.1)
    small = Image.open(io.BytesIO(thumb.content))
    assert small.format == "WEBP" and max(small.size) == 400 and small.size[0] < small.size[1]


async def test_a_voice_note_round_trip_has_its_duration(shared_server: Server, tmp_path: Path) -> None:
    alice = await register(shared_server)
    note = mediafiles.webm(3.0, tmp_path / "note.webm")
    media = await uploaded(alice, note, "voice", multipart=False)
    assert media["kind"] == "voice" and media["mime"] == "audio/webm"
    assert 2900 <= media["duration_ms"] <= 3100
    got = await alice.call("GET", f"/media/{media['id']}")
    assert got.content == note and got.headers["content-type"] == "audio/webm"
    wav = await uploaded(alice, mediafiles.wav(1.5), "voice")
    assert wav["mime"] == "audio/wav" and 1450 <= wav["duration_ms"] <= 1550


async def test_a_video_round_trip_is_stream_copied_clean_with_a_poster(shared_server: Server) -> None:
    alice = await register(shared_server)
    original = mediafiles.video(2.0)
    assert b"iPhone" in original and b"52.5200" in original and original.find(b"moov") > original.find(b"mdat")
    media = await uploaded(alice, original, "video", "IMG_0002.MOV", multipart=False)
    assert media["kind"] == "video" and media["mime"] == "video/mp4" and media["name"] == "IMG_0002.MOV"
    assert (media["width"], media["height"]) == (320, 240) and 1950 <= media["duration_ms"] <= 2100

    got = await alice.call("GET", f"/media/{media['id']}")
    assert got.status_code == 200 and got.headers["content-type"] == "video/mp4"
    assert got.headers["content-disposition"].startswith("inline")
    assert "sandbox" in got.headers["content-security-policy"]
    served = got.content
    assert len(served) == media["size"]
    assert not [s for s in (b"iPhone", b"Apple", b"52.5200", b"2024-05-01") if s in served]
    assert 0 < served.find(b"moov") < served.find(b"mdat")  # plays while it loads
    part = await alice.call("GET", f"/media/{media['id']}", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == served[:100]  # players seek with ranges

    poster = await alice.call("GET", f"/media/{media['id']}/thumbnail")
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(poster.content))
    assert picture.format == "JPEG" and picture.size == (320, 240)
    assert (await alice.ok("GET", "/me/storage"))["used_bytes"] >= media["size"]


async def test_a_file_round_trip_is_a_download_with_its_name(shared_server: Server) -> None:
    alice = await register(shared_server)
    content = b"<html><script>alert(1)</script></html>" + os.urandom(3000)
    media = await uploaded(alice, content, "file", "Bericht März.html")
    assert media["kind"] == "file" and media["size"] == len(content) and media["name"] == "Bericht März.html"
    got = await alice.call("GET", f"/media/{media['id']}")
    assert got.content == content
    assert got.headers["content-type"] == "application/octet-stream"  # never text/html
    assert got.headers["content-disposition"] == "attachment; filename*=utf-8''Bericht%20M%C3%A4rz.html"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = await upload(alice, svg, "image", "x.svg")
    assert refused.status_code == 415 and refused.json()["error"]["code"] == "not_an_image"


async def test_downloads_take_ranges_and_etags(shared_server: Server) -> None:
    alice = await register(shared_server)
    content = os.urandom(10_000)
    media = await uploaded(alice, content, "file", "data.bin", multipart=False)
    path = f"/media/{media['id']}"
    part = await alice.call("GET", path, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == content[100:200]
    assert part.headers["content-range"] == "bytes 100-199/10000"
    tail = await alice.call("GET", path, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == content[-10:]
    full = await alice.call("GET", path)
    etag = full.headers["etag"]
    assert full.headers["accept-ranges"] == "bytes" and etag.strip('"') and len(etag) == 66
    again = await alice.call("GET", path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    stale = await alice.call("GET", path, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == content
    beyond = await alice.call("GET", path, headers={"Range": "bytes=20000-20010"})
    assert beyond.status_code == 416
    for weak in (f"W/{etag}", '"other", ' + etag, "*"):
        assert (await alice.call("GET", path, headers={"If-None-Match": weak})).status_code == 304, weak
    assert (await alice.call("GET", path, headers={"If-None-Match": '"other"'})).status_code == 200


async def test_the_same_bytes_are_stored_once(make_server: Any) -> None:
    server = make_server()
    alice, bob = await register(server), await register(server)
    content = os.urandom(5000)
    one = await uploaded(alice, content, "file", "a.bin")
    two = await uploaded(bob, content, "file", "b.bin", multipart=False)
    assert one["id"] != two["id"]
    assert len(stored_files(server)) == 1
    assert server.rows("SELECT uses FROM blobs") == [(2,)]


# -- refusals ------------------------------------------------------------------------------------

BAD_UPLOADS = [
    # (what, kind, body, name, multipart, status, code)
    ("empty body", "file", b"", "a.txt", False, 400, "missing_body"),
    ("empty file part", "image", b"", "a.jpg", True, 400, "missing_body"),
    ("no kind", "", b"abc", "a.txt", False, 400, "invalid"),
    ("unknown kind", "movie", b"abc", "a.txt", False, 400, "invalid"),
    ("truncated image", "image", mediafiles.jpeg(800, 600)[:3000], "t.jpg", True, 400, "invalid_image"),
    ("a file that claims to be an image", "image", b"\xff\xd8\xff\xe0" + b"not a jpeg" * 50, "f.jpg", True, 400,
     "invalid_image"),
    ("text that claims to be an image", "image", b"hello, I am a picture" * 10, "f.png", False, 415, "not_an_image"),
    ("a decompression bomb", "image", mediafiles.bomb(), "bomb.png", True, 413, "image_too_large"),
    ("an image over 20 MiB", "image", b"\xff" * (20 * 1024 * 1024 + 1), "big.jpg", False, 413, "too_large"),
    ("a voice note over 2 MiB", "voice", b"RIFF" + b"\0" * (2 * 1024 * 1024), "v.wav", False, 413, "too_large"),
    ("a voice note over 60 s", "voice", mediafiles.wav(61, rate=4000), "", True, 400, "voice_too_long"),
    ("a voice note that is not audio", "voice", mediafiles.png(), "", True, 415, "not_audio"),
    ("a voice note with a broken header", "voice", b"RIFF\x10\0\0\0WAVEjunkjunkjunk", "", False, 400, "invalid_audio"),
    ("a video over 50 MiB", "video", b"\0\0\0\x18ftypisom" + b"\0" * (50 * 1024 * 1024), "v.mp4", False, 413,
     "too_large"),
    ("a video over 300 s", "video", mediafiles.video(301, size=(64, 64), fps=1, audio=None), "v.mp4", True, 400,
     "video_too_long"),
    ("a picture named .mp4", "video", mediafiles.jpeg(), "v.mp4", True, 415, "not_a_video"),
    ("text that claims to be a video", "video", b"hello, I am a film" * 10, "v.mp4", False, 415, "not_a_video"),
    ("a truncated video", "video", mediafiles.video(2.0)[:12000], "v.mp4", False, 400, "invalid_video"),
    ("a video in a codec kith does not take", "video", mediafiles.video(0.5, codec="mpeg4"), "v.mp4", True, 415,
     "unsupported_video"),
    ("a path in the name", "file", b"abc", "../../etc/passwd", True, 400, "invalid_name"),
    ("a Windows path in the name", "file", b"abc", "..\\boot.ini", False, 400, "invalid_name"),
    ("a control character in the name", "file", b"abc", "a\x00b.txt", False, 400, "invalid_name"),
    ("a right-to-left override in the name", "file", b"abc", "photo\u202egpj.exe", False, 400, "invalid_name"),
    ("a name of 256 bytes", "file", b"abc", "n" * 256, False, 400, "invalid_name"),
    ("the name ..", "file", b"abc", "..", False, 400, "invalid_name"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "kind", "body", "name", "multipart", "status", "code"), BAD_UPLOADS,
                         ids=[row[0] for row in BAD_UPLOADS])  # fmt: skip
async def test_a_bad_upload_is_refused_and_leaves_nothing(
    media_server: Server, what: str, kind: str, body: bytes, name: str, multipart: bool, status: int, code: str
) -> None:
    alice = await register(media_server)
    before = media_rows(media_server)
    if multipart:
        response = await alice.call(
            "POST", "/media", params={"kind": kind, "name": name}, files={"file": ("upload", body)}
        )
    else:
        response = await alice.call(
            "POST", "/media", params={"kind": kind, "name": name}, content=body,
            headers={"Content-Type": "application/octet-stream"},
        )  # fmt: skip
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert media_rows(media_server) == before
    assert stored_files(media_server) == []
    tmp = media_server.data_dir / "media" / "tmp"
    assert not tmp.exists() or list(tmp.iterdir()) == []


async def test_a_malformed_multipart_body_is_refused(media_server: Server) -> None:
    alice = await register(media_server)
    cases = [
        (b"--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", "invalid_multipart"),  # no end
        (b"--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nfile\r\n--b--\r\n", "missing_body"),
        (b"--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nabc\r\n--b--\r\n", "unknown_field"),
        (b"--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--b\r\n"
         b"Content-Disposition: form-data; name=\"kind\"\r\n\r\nfile\r\n--b--\r\n", "invalid_multipart"),
        (b"garbage without any boundary", "invalid_multipart"),
    ]  # fmt: skip
    for body, code in cases:
        response = await alice.call(
            "POST", "/media", params={"kind": "file"}, content=body,
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )  # fmt: skip
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == code, (body, response.text)
    no_boundary = await alice.call(
        "POST", "/media", params={"kind": "file"}, content=b"x", headers={"Content-Type": "multipart/form-data"}
    )
    assert no_boundary.status_code == 400 and no_boundary.json()["error"]["code"] == "invalid_multipart"
    assert media_rows(media_server) == (0, 0, 0) and stored_files(media_server) == []


async def test_a_declared_length_over_the_limit_is_refused_before_the_body(media_server: Server) -> None:
    alice = await register(media_server)
    reader, writer = await asyncio.open_connection("127.0.0.1", media_server.port)
    writer.write(
        f"POST /api/v1/media?kind=image HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {alice.token}\r\n"
        f"Content-Type: image/jpeg\r\nContent-Length: {21 * 1024 * 1024}\r\n\r\n".encode()
        + b"\xff\xd8"  # and nothing more: the answer must not wait for the 21 MiB
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    writer.close()
    assert head.startswith(b"HTTP/1.1 413"), head


# -- sharing and who may fetch -------------------------------------------------------------------


async def test_media_messages_reach_the_members(shared_server: Server, tmp_path: Path) -> None:
    alice, bob = await register(shared_server), await register(shared_server)
    await befriend(alice, bob)
    chat = await direct(alice, bob)
    photo = await uploaded(alice, mediafiles.jpeg(), "image", "p.jpg")
    sent = await alice.ok("POST", f"/conversations/{chat}/messages", json={"id": "img-1", "media_id": photo["id"]})
    message = sent["message"]
    assert message["kind"] == "image" and message["text"] == "" and message["media"] == photo
    again = await alice.call("POST", f"/conversations/{chat}/messages", json={"id": "img-1", "media_id": photo["id"]})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    other = await uploaded(alice, mediafiles.png(), "image")
    clash = await alice.call("POST", f"/conversations/{chat}/messages", json={"id": "img-1", "media_id": other["id"]})
    assert clash.status_code == 409
    events = [e for e in await bob.sync_all() if e["type"] == "message" and e["data"]["kind"] == "image"]
    assert [e["data"]["media"]["id"] for e in events] == [photo["id"]]
    assert (await bob.call("GET", f"/media/{photo['id']}")).status_code == 200

    # over the WebSocket, a voice note; a reply quotes it by kind
    note = await uploaded(alice, mediafiles.webm(1.0, tmp_path / "n.webm"), "voice")
    socket = await Socket.connect(alice, since=0)
    try:
        ack = await socket.send_text(chat, "", client_id="voice-1", media_id=note["id"])
        assert ack["message"]["kind"] == "voice" and ack["message"]["media"]["duration_ms"] > 900
    finally:
        await socket.close()
    seq = ack["message"]["seq"]
    reply = await bob.ok("POST", f"/conversations/{chat}/messages", json={"id": "r-1", "text": "nice", "reply_to": seq})
    assert reply["message"]["reply_to"] == {"seq": seq, "sender_id": alice.id, "text": "", "kind": "voice"}
    history = await bob.ok("GET", f"/conversations/{chat}/messages")
    assert [m["kind"] for m in history["messages"]][-3:] == ["image", "voice", "text"]

    # a video, quoted by kind; the other side fetches it and its poster
    film = await uploaded(alice, mediafiles.video(1.0), "video", "clip.mp4")
    sent = await alice.ok("POST", f"/conversations/{chat}/messages", json={"id": "vid-1", "media_id": film["id"]})
    assert sent["message"]["kind"] == "video" and sent["message"]["media"] == film
    events = [e for e in await bob.sync_all() if e["type"] == "message" and e["data"]["kind"] == "video"]
    assert [e["data"]["media"]["id"] for e in events] == [film["id"]]
    assert (await bob.call("GET", f"/media/{film['id']}")).headers["content-type"] == "video/mp4"
    assert (await bob.call("GET", f"/media/{film['id']}/thumbnail")).headers["content-type"] == "image/jpeg"
    seq = sent["message"]["seq"]
    reply = await bob.ok("POST", f"/conversations/{chat}/messages", json={"id": "r-2", "text": "ha", "reply_to": seq})
    assert reply["message"]["reply_to"]["kind"] == "video"

    # only one's own uploads can be sent, and text and media do not mix
    mine = await uploaded(bob, mediafiles.png(), "image")
    stolen = await alice.call("POST", f"/conversations/{chat}/messages", json={"id": "s-1", "media_id": mine["id"]})
    assert stolen.status_code == 404 and stolen.json()["error"]["code"] == "no_such_media"
    both = await alice.call(
        "POST", f"/conversations/{chat}/messages", json={"id": "s-2", "text": "hi", "media_id": other["id"]}
    )
    assert both.status_code == 400


async def test_who_may_fetch_a_shared_image(shared_server: Server) -> None:
    owner, member, leaver, outsider = [await register(shared_server) for _ in range(4)]
    for friend in (member, leaver, outsider):
        await befriend(owner, friend)
    group = (
        await owner.ok("POST", "/conversations/groups", json={"name": "trip", "user_ids": [member.id, leaver.id]})
    )["id"]
    second_device = await owner.new_device()
    photo = await uploaded(owner, mediafiles.jpeg(), "image")
    unsent = await uploaded(owner, mediafiles.png(), "image")
    path = f"/media/{photo['id']}"
    assert (await member.call("GET", path)).status_code == 404  # not shared yet
    await owner.ok("POST", f"/conversations/{group}/messages", json={"id": "g-1", "media_id": photo["id"]})
    await owner.ok("DELETE", f"/conversations/{group}/members/{leaver.id}")
    late = await register(shared_server)
    await befriend(owner, late)
    await owner.ok("POST", f"/conversations/{group}/members", json={"user_ids": [late.id]})
    await second_device.ok("DELETE", "/sessions/current")
    missing = await owner.call("GET", "/media/AAAAAAAAAAAAAAAAAAAAAA")
    matrix = [
        (owner, path, 200),
        (member, path, 200),
        (member, path + "/thumbnail", 200),
        (member, f"/media/{unsent['id']}", 404),
        (leaver, path, 404),  # removed from the group
        (outsider, path, 404),  # a friend of the owner, not in the group
        (late, path, 404),  # joined after it was sent
        (second_device, path, 401),  # a revoked token
    ]
    for user, url, status in matrix:
        response = await user.call("GET", url)
        assert response.status_code == status, (user.handle, url, response.text)
        if status == 404:
            assert response.json() == missing.json()  # the same as an id that names nothing
    anonymous = await httpx.AsyncClient(base_url=shared_server.url).get("/api/v1" + path)
    assert anonymous.status_code == 401

    history = await owner.ok("GET", f"/conversations/{group}/messages")
    seq = next(m["seq"] for m in history["messages"] if m["kind"] == "image")
    recall = await owner.ok("POST", f"/conversations/{group}/messages/{seq}/recall")
    assert recall["recalled"] is True and recall["media"] is None
    resent = await owner.call("POST", f"/conversations/{group}/messages", json={"id": "g-1", "media_id": photo["id"]})
    assert resent.status_code == 200 and resent.json()["duplicate"] is True  # a retry after the recall
    assert (await member.call("GET", path)).status_code == 404  # withdrawn with the message
    assert (await owner.call("GET", path)).status_code == 200


async def test_avatars(shared_server: Server) -> None:
    alice, bob, carol = [await register(shared_server) for _ in range(3)]
    await befriend(alice, bob)
    await befriend(alice, carol)
    picture = await uploaded(alice, mediafiles.jpeg(300, 300), "image")
    me = await alice.ok("PUT", "/me/avatar", json={"media_id": picture["id"]})
    assert me["avatar"] == picture["id"]
    told = [e for e in await bob.sync_all() if e["type"] == "profile.updated"]
    assert told[-1]["data"]["user"]["avatar"] == picture["id"]
    assert (await bob.call("GET", f"/media/{picture['id']}")).status_code == 200
    await alice.ok("PUT", f"/blocks/{carol.id}")
    assert (await carol.call("GET", f"/media/{picture['id']}")).status_code == 404
    voice = await uploaded(alice, mediafiles.wav(1), "voice")
    wrong = await alice.call("PUT", "/me/avatar", json={"media_id": voice["id"]})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "wrong_media_kind"
    bobs = await uploaded(bob, mediafiles.png(), "image")
    assert (await alice.call("PUT", "/me/avatar", json={"media_id": bobs["id"]})).status_code == 404
    removed = await alice.ok("DELETE", "/me/avatar")
    assert "avatar" not in removed
    assert (await bob.call("GET", f"/media/{picture['id']}")).status_code == 404

    group = (await alice.ok("POST", "/conversations/groups", json={"user_ids": [bob.id]}))["id"]
    sign = await uploaded(bob, mediafiles.png(), "image")
    changed = await bob.ok("PUT", f"/conversations/{group}/avatar", json={"media_id": sign["id"]})
    assert changed["avatar"] == sign["id"]
    assert (await alice.ok("GET", f"/conversations/{group}"))["avatar"] == sign["id"]
    assert (await alice.call("GET", f"/media/{sign['id']}")).status_code == 200
    assert (await carol.call("GET", f"/media/{sign['id']}")).status_code == 404
    notices = (await alice.ok("GET", f"/conversations/{group}/messages"))["messages"]
    assert notices[-1]["system"]["action"] == "avatar_changed"


async def test_a_deleted_groups_picture_goes_with_it(make_server: Any) -> None:
    server = make_server({"KITH_MEDIA_SWEEP_GRACE_SECONDS": "1"})
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    group = (await alice.ok("POST", "/conversations/groups", json={"user_ids": [bob.id]}))["id"]
    await bob.ok("DELETE", "/me", json={"password": PASSWORD})
    picture = await uploaded(alice, mediafiles.png(), "image")
    await alice.ok("PUT", f"/conversations/{group}/avatar", json={"media_id": picture["id"]})
    await alice.ok("DELETE", "/me", json={"password": PASSWORD})
    assert server.rows("SELECT COUNT(*) FROM conversations WHERE id = ?", group) == [(0,)]

    def refs_gone() -> bool:
        return server.rows("SELECT COUNT(*) FROM media_refs") == [(0,)] and media_rows(server)[0] == 0

    await eventually(refs_gone, timeout=15)  # nothing left that a group reusing the id could inherit


# -- quota, rate limit, sweep --------------------------------------------------------------------


async def test_the_storage_quota(make_server: Any) -> None:
    server = make_server({"KITH_MEDIA_QUOTA_BYTES": "10000"})
    alice = await register(server)
    await uploaded(alice, os.urandom(6000), "file", "a")
    usage = await alice.ok("GET", "/me/storage")
    assert usage == {"used_bytes": 6000, "quota_bytes": 10000}
    over = await upload(alice, os.urandom(6000), "file", "b")
    assert over.status_code == 413 and over.json()["error"]["code"] == "quota_exceeded"
    assert media_rows(server)[0] == 1 and len(stored_files(server)) == 1


async def test_uploads_are_rate_limited(make_server: Any) -> None:
    server = make_server({"KITH_RATE_MEDIA_USER": "2/3600"})
    alice = await register(server)
    for _ in range(2):
        await uploaded(alice, b"abc", "file", "a")
    limited = await upload(alice, b"abc", "file", "a")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1


async def test_unreferenced_media_are_swept_after_the_grace_period(make_server: Any) -> None:
    server = make_server({"KITH_MEDIA_SWEEP_GRACE_SECONDS": "2"})
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    chat = await direct(alice, bob)
    content = os.urandom(4000)
    kept = await uploaded(alice, mediafiles.jpeg(), "image")
    lost = await uploaded(alice, content, "file", "a")
    await uploaded(alice, mediafiles.video(0.5), "video")  # and its poster: both files go
    recalled = await uploaded(alice, mediafiles.png(), "image")
    await alice.ok("POST", f"/conversations/{chat}/messages", json={"id": "k", "media_id": kept["id"]})
    sent = await alice.ok("POST", f"/conversations/{chat}/messages", json={"id": "r", "media_id": recalled["id"]})
    await alice.ok("POST", f"/conversations/{chat}/messages/{sent['message']['seq']}/recall")

    def gone() -> bool:
        return {r[0] for r in server.rows("SELECT id FROM media")} == {kept["id"]}

    await eventually(gone, timeout=15)
    assert (await alice.call("GET", f"/media/{lost['id']}")).status_code == 404
    assert (await bob.call("GET", f"/media/{kept['id']}")).status_code == 200
    # the image and its thumbnail are what is left on disk
    assert len(stored_files(server)) == 2 and server.rows("SELECT COUNT(*) FROM blobs") == [(2,)]


# -- crashes -------------------------------------------------------------------------------------


async def test_a_kill_during_a_large_upload_leaves_no_file(make_server: Any) -> None:
    server = make_server()
    alice = await register(server)
    half = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        for i in range(400):
            yield os.urandom(128 * 1024)  # 50 MiB in all, of which about half is sent
            if i == 200:
                half.set()
                await asyncio.sleep(30)

    sending = asyncio.create_task(
        alice.call(
            "POST",
            "/media",
            params={"kind": "file", "name": "big.bin"},
            content=body(),
            headers={"Content-Type": "application/octet-stream"},
        )
    )
    await asyncio.wait_for(half.wait(), 30)
    tmp = server.data_dir / "media" / "tmp"
    await eventually(lambda: tmp.exists() and any(p.stat().st_size > 20 * 1024 * 1024 for p in tmp.iterdir()))
    server.kill()
    with pytest.raises(httpx.HTTPError):
        await sending
    assert stored_files(server) == []  # only a temporary file, which nothing serves
    leftovers = list(tmp.iterdir())
    assert leftovers and all(p.name.startswith("up-") for p in leftovers)
    old = time.time() - 7200
    for p in leftovers:
        os.utime(p, (old, old))  # as if the server had been down for two hours
    server.start()
    await eventually(lambda: list(tmp.iterdir()) == [])  # a stale temporary file goes at start
    assert server.rows("SELECT COUNT(*) FROM media") == [(0,)]
    alice = await register(server)
    assert (await upload(alice, b"after", "file", "a")).status_code == 201


async def test_a_shared_place(shared_server: Server) -> None:
    alice, bob = await register(shared_server), await register(shared_server)
    await befriend(alice, bob)
    chat = await direct(alice, bob)
    place = {"latitude": 52.520008, "longitude": 13.404954, "label": "Alexanderplatz", "scale": 16}
    sent = await alice.ok("POST", f"/conversations/{chat}/messages", json={"id": "loc-1", "location": place})
    assert sent["message"]["kind"] == "location" and sent["message"]["location"] == place
    again = await alice.call("POST", f"/conversations/{chat}/messages", json={"id": "loc-1", "location": place})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    elsewhere = {**place, "latitude": 48.1}
    clash = await alice.call("POST", f"/conversations/{chat}/messages", json={"id": "loc-1", "location": elsewhere})
    assert clash.status_code == 409
    seen = [e["data"] for e in await bob.sync_all() if e["type"] == "message" and e["data"]["kind"] == "location"]
    assert [m["location"]["label"] for m in seen] == ["Alexanderplatz"]
    reply = await bob.ok("POST", f"/conversations/{chat}/messages",
                         json={"id": "r-loc", "text": "on my way", "reply_to": sent["message"]["seq"]})  # fmt: skip
    assert reply["message"]["reply_to"]["kind"] == "location"
    for bad in ({**place, "latitude": 90.5}, {**place, "longitude": -181}, {**place, "scale": 0},
                {**place, "label": "a\u0000b"}, {**place, "label": "x" * 101}, {"latitude": 1}):  # fmt: skip
        refused = await alice.call("POST", f"/conversations/{chat}/messages", json={"id": "loc-2", "location": bad})
        assert refused.status_code == 400, (bad, refused.text)
    both = await alice.call(
        "POST", f"/conversations/{chat}/messages", json={"id": "loc-3", "text": "here", "location": place}
    )
    assert both.status_code == 400
