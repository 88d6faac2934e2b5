"""The media domain without HTTP: what the content checks decide, names, shared files and the sweep."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from fractions import Fraction
from pathlib import Path

import av
import mediafiles
import pytest
from domain import Kit
from PIL import Image

from kith.accounts.models import Caller
from kith.errors import DomainError, Invalid, RateLimited
from kith.media import inspect
from kith.media.service import check_name

MAX_PIXELS = 40_000_000


def refusal(fn: object, *args: object) -> str:
    with pytest.raises(DomainError) as caught:
        fn(*args)  # type: ignore[operator]
    return caught.value.code


# -- images --------------------------------------------------------------------------------------


def test_the_exif_orientation_is_applied_and_every_kind_of_metadata_goes(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif.get_ifd(mediafiles.GPS_IFD).update({1: "N", 2: (52.0, 31.0, 0.0)})
    exif[mediafiles.ORIENTATION] = 8
    for fmt, extra in (("PNG", {}), ("WEBP", {}), ("JPEG", {"comment": b"at home"})):
        source = tmp_path / f"in.{fmt.lower()}"
        Image.new("RGB", (60, 40), (1, 2, 3)).save(source, fmt, exif=exif.tobytes(), **extra)
        assert Image.open(source).getexif().get_ifd(mediafiles.GPS_IFD), fmt
        target = tmp_path / f"out.{fmt.lower()}"
        probed = inspect.clean_image(source, target, MAX_PIXELS)
        assert (probed.width, probed.height) == (40, 60), fmt  # rotated by the orientation
        cleaned = Image.open(target)
        assert cleaned.format == fmt and cleaned.size == (40, 60)
        assert not cleaned.getexif(), fmt
        assert not {"exif", "comment", "xmp"} & set(cleaned.info), (fmt, cleaned.info)


def test_an_animation_keeps_its_frames_and_counts_them_against_the_pixel_limit(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (100, 100), (i * 50, 0, 0)) for i in range(5)]
    source = tmp_path / "a.gif"
    frames[0].save(source, save_all=True, append_images=frames[1:], duration=100, loop=0, comment=b"hi")
    target = tmp_path / "b.gif"
    assert inspect.clean_image(source, target, MAX_PIXELS).mime == "image/gif"
    assert Image.open(target).n_frames == 5 and "comment" not in Image.open(target).info
    assert refusal(inspect.clean_image, source, tmp_path / "c.gif", 4 * 100 * 100) == "image_too_large"


def test_a_thumbnail_is_small_and_keeps_transparency(tmp_path: Path) -> None:
    source = tmp_path / "in.png"
    source.write_bytes(mediafiles.png(1000, 500))
    inspect.thumbnail(source, tmp_path / "t.webp")
    thumb = Image.open(tmp_path / "t.webp")
    assert thumb.size == (400, 200) and thumb.mode == "RGBA"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "not_an_image"),
        (b"GIF89a" + b"\0" * 20, "not_an_image"),
        (mediafiles.png(300, 300)[:200], "invalid_image"),
        (mediafiles.jpeg()[:500], "invalid_image"),
        (mediafiles.bomb(), "image_too_large"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "not_an_image"),
        (b"BM" + b"\0" * 100, "not_an_image"),  # a BMP is not one of the formats taken
    ],
    ids=["empty", "gif header only", "truncated png", "truncated jpeg", "bomb", "svg", "bmp"],
)
def test_what_is_not_a_clean_image(tmp_path: Path, data: bytes, code: str) -> None:
    source = tmp_path / "in"
    source.write_bytes(data)
    assert refusal(inspect.clean_image, source, tmp_path / "out", MAX_PIXELS) == code
    assert not (tmp_path / "out").exists() or code == "invalid_image"


# -- voice notes ---------------------------------------------------------------------------------


def test_voice_notes_in_each_container(tmp_path: Path) -> None:
    note = tmp_path / "n.webm"
    mediafiles.webm(2.0, note)
    assert inspect.voice(note, 60_000).mime == "audio/webm"
    wav = tmp_path / "n.wav"
    wav.write_bytes(mediafiles.wav(2.0))
    probed = inspect.voice(wav, 60_000)
    assert probed.mime == "audio/wav" and 1990 <= probed.duration_ms <= 2010  # type: ignore[operator]
    assert refusal(inspect.voice, wav, 1_000) == "voice_too_long"


def test_a_voice_note_with_video_in_it_is_refused(tmp_path: Path) -> None:
    movie = tmp_path / "m.webm"
    with av.open(str(movie), "w", format="webm") as out:
        video = out.add_stream("libvpx", rate=10)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame(32, 32, "yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, 10)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    assert refusal(inspect.voice, movie, 60_000) == "invalid_audio"


def test_bytes_that_only_start_like_audio_are_refused(tmp_path: Path) -> None:
    fake = tmp_path / "f.ogg"
    fake.write_bytes(b"OggS" + bytes(range(256)) * 10)
    assert refusal(inspect.voice, fake, 60_000) == "invalid_audio"
    text = tmp_path / "t.mp3"
    text.write_bytes(b"just some text, no audio at all")
    assert refusal(inspect.voice, text, 60_000) == "not_audio"


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../x", "a/b", "a\\b", "..", ".", " ", "a\nb", "a\x7fb", "a\u200fb", "a\u2028b", "x" * 200 + "é" * 28]
)
def test_names_that_are_refused(name: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_name(name, "file")
    assert caught.value.code == "invalid_name"


def test_names_that_are_kept() -> None:
    assert check_name("Résumé 2026 (final).pdf", "file") == "Résumé 2026 (final).pdf"
    assert check_name("照片.jpg", "image") == "照片.jpg"
    assert check_name(None, "file") == "file" and check_name(None, "image") == ""


# -- the service: shared files, the sweep, uploads at once ---------------------------------------


async def chunks(data: bytes, pause: asyncio.Event | None = None) -> AsyncIterator[bytes]:
    yield data[:10]
    if pause is not None:
        await pause.wait()
    yield data[10:]


async def user(kit: Kit, handle: str) -> Caller:
    session = await kit.accounts.register(handle, handle.title(), "plum kettle ferry 41")
    return Caller(session.user.id, session.device.id)


def files(kit: Kit) -> list[Path]:
    return sorted(p for p in (kit.settings.data_dir / "media").glob("??/??/*"))


async def test_a_file_two_uploads_share_stays_until_both_are_swept(make_kit) -> None:  # type: ignore[no-untyped-def]
    kit = await make_kit(media_sweep_grace_seconds=60)
    alice, bob = await user(kit, "alice"), await user(kit, "bob")
    content = b"the same bytes, twice" * 100
    first = await kit.media.do_upload(alice, "file", "a", chunks(content))
    kit.clock.advance(30)
    second = await kit.media.do_upload(bob, "file", "b", chunks(content))
    assert len(files(kit)) == 1
    kit.clock.advance(31)  # the first is past its grace period, the second is not
    while await kit.outbox.drain_once():
        pass
    assert len(files(kit)) == 1
    assert (await kit.media.fetch(bob, second.id)).path.read_bytes() == content
    with pytest.raises(DomainError):
        await kit.media.fetch(alice, first.id)
    kit.clock.advance(30)
    while await kit.outbox.drain_once():
        pass
    assert files(kit) == []
    assert await kit.db.read(lambda tx: tx.value("SELECT COUNT(*) FROM blobs")) == 0


async def test_a_user_has_a_few_uploads_in_progress_at_most(make_kit) -> None:  # type: ignore[no-untyped-def]
    kit = await make_kit(media_uploads_at_once=2)
    alice, bob = await user(kit, "alice"), await user(kit, "bob")
    pause = asyncio.Event()
    slow = [asyncio.create_task(kit.media.do_upload(alice, "file", "a", chunks(b"x" * 100, pause))) for _ in range(2)]
    await asyncio.sleep(0.05)
    with pytest.raises(RateLimited) as caught:
        await kit.media.do_upload(alice, "file", "c", chunks(b"y" * 100))
    assert caught.value.code == "too_many_uploads"
    assert (await kit.media.do_upload(bob, "file", "d", chunks(b"z" * 100))).size == 100  # others are not held up
    pause.set()
    assert [m.size for m in await asyncio.gather(*slow)] == [100, 100]
    assert (await kit.media.do_upload(alice, "file", "e", chunks(b"w" * 100))).size == 100


def test_png_metadata_chunks_do_not_survive(tmp_path: Path) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "52.5200 N, 13.4050 E")
    source = tmp_path / "in.png"
    Image.new("RGB", (10, 10)).save(source, pnginfo=info)
    assert b"Location" in source.read_bytes()
    inspect.clean_image(source, tmp_path / "out.png", MAX_PIXELS)
    assert b"Location" not in (tmp_path / "out.png").read_bytes()
    assert Image.open(io.BytesIO((tmp_path / "out.png").read_bytes())).text == {}


def test_phone_jpegs_animated_pngs_and_broken_gifs(tmp_path: Path) -> None:
    red, green = Image.new("RGB", (100, 80), (255, 0, 0)), Image.new("RGB", (100, 80), (0, 255, 0))
    mpo = tmp_path / "phone.jpg"
    red.save(mpo, "MPO", save_all=True, append_images=[green])  # a JPEG with a second picture in it
    assert inspect.clean_image(mpo, tmp_path / "a", MAX_PIXELS).mime == "image/jpeg"
    assert Image.open(tmp_path / "a").format == "JPEG"
    apng = tmp_path / "moving.png"
    red.save(apng, "PNG", save_all=True, append_images=[green])
    assert inspect.clean_image(apng, tmp_path / "b", MAX_PIXELS).mime == "image/png"
    assert Image.open(tmp_path / "b").format == "PNG" and Image.open(tmp_path / "b").n_frames == 2
    gif = io.BytesIO()
    red.save(gif, "GIF", save_all=True, append_images=[green, red])
    broken = tmp_path / "broken.gif"
    for cut in range(40, len(gif.getvalue()), 37):  # cut anywhere: a clear refusal, never a crash
        broken.write_bytes(gif.getvalue()[:cut])
        try:
            inspect.clean_image(broken, tmp_path / "c", MAX_PIXELS)
        except DomainError as refused:
            assert refused.code == "invalid_image", cut


def test_transparency_survives(tmp_path: Path) -> None:
    for name in ("t.gif", "t.png"):
        im = Image.new("P", (20, 20), 0)
        im.putpalette([255, 0, 0] * 256)
        im.putpixel((5, 5), 1)
        im.save(tmp_path / name, transparency=0)
        inspect.clean_image(tmp_path / name, tmp_path / f"out-{name}", MAX_PIXELS)
        assert Image.open(tmp_path / f"out-{name}").convert("RGBA").getpixel((0, 0))[3] == 0, name
