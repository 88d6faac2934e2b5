"""Videos without HTTP: what inspect.video keeps (the streams, bit for bit), what it drops (the
container's metadata), the poster, and what it refuses."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import av
import mediafiles
import pytest
from PIL import Image

from kith.errors import DomainError
from kith.media import inspect
from kith.media.models import THUMBNAIL_EDGE

MAX_MS = 300_000
MAX_PIXELS = 40_000_000
PHONE_STRINGS = (b"iPhone", b"Apple", b"52.52", b"013.40", b"2024-05-01", b"Core Media")


def clean(tmp_path: Path, data: bytes, max_ms: int = MAX_MS, max_pixels: int = MAX_PIXELS) -> inspect.Probed:
    source = tmp_path / "upload"
    source.write_bytes(data)
    return inspect.video(source, tmp_path / "clean", tmp_path / "poster", max_ms, max_pixels)


def refusal(tmp_path: Path, data: bytes, **kw: int) -> str:
    with pytest.raises(DomainError) as caught:
        clean(tmp_path, data, **kw)
    return caught.value.code


def packets(path: Path) -> list[tuple[str, bytes]]:
    with av.open(str(path)) as container:
        return [(p.stream.type, bytes(p)) for p in container.demux() if p.size]


def test_an_mp4_is_stream_copied_without_its_metadata_and_with_its_index_first(tmp_path: Path) -> None:
    original = mediafiles.video(2.0, tmp_path / "phone.mp4")
    assert all(s in original for s in PHONE_STRINGS)  # the phone's metadata is there to begin with
    assert original.find(b"moov") > original.find(b"mdat")  # and its index at the end, as muxers write it
    result = clean(tmp_path, original)

    assert result == inspect.Probed("video/mp4", 320, 240, result.duration_ms)
    assert 1950 <= (result.duration_ms or 0) <= 2100
    kept = (tmp_path / "clean").read_bytes()
    assert not [s for s in PHONE_STRINGS if s in kept]
    assert b"Lavf" not in kept  # nor the name and version of the software that wrote it
    assert 0 < kept.find(b"moov") < kept.find(b"mdat")
    with av.open(str(tmp_path / "clean")) as container:
        assert not {"creation_time", "location", "com.apple.quicktime.model"} & set(container.metadata)
        assert all("creation_time" not in s.metadata for s in container.streams)
        assert [s.type for s in container.streams] == ["video", "audio"]
    # not re-encoded: every packet is the one that came in
    assert packets(tmp_path / "clean") == packets(tmp_path / "phone.mp4")

    poster = Image.open(tmp_path / "poster")
    assert poster.format == "JPEG" and poster.size == (320, 240)
    assert poster.getpixel((10, 10))[0] > 200  # the yellow corner of the first frame, decoded


def test_a_quicktime_movie_becomes_an_mp4_and_a_webm_stays_a_webm(tmp_path: Path) -> None:
    mov = clean(tmp_path, mediafiles.video(1.0, fmt="mov"))
    assert mov.mime == "video/mp4"
    assert not [s for s in PHONE_STRINGS if s in (tmp_path / "clean").read_bytes()]
    for codec in ("libvpx-vp9", "libvpx"):
        webm = mediafiles.video(1.0, fmt="webm", codec=codec, audio="libopus")
        assert b"iPhone" in webm
        result = clean(tmp_path, webm)
        assert result.mime == "video/webm" and (result.width, result.height) == (320, 240)
        kept = (tmp_path / "clean").read_bytes()
        assert not [s for s in PHONE_STRINGS if s in kept], codec
        assert kept.startswith(b"\x1a\x45\xdf\xa3")


def test_av1_and_video_without_sound(tmp_path: Path) -> None:
    result = clean(tmp_path, mediafiles.video(1.0, size=(128, 96), codec="libsvtav1", audio=None))
    assert result.mime == "video/mp4" and (result.width, result.height) == (128, 96)
    with av.open(str(tmp_path / "clean")) as container:
        assert [s.type for s in container.streams] == ["video"]


def test_a_turned_phone_video_is_measured_and_postered_as_it_is_shown(tmp_path: Path) -> None:
    result = clean(tmp_path, mediafiles.video(1.0, size=(320, 240), rotation=90))
    assert (result.width, result.height) == (240, 320)
    poster = Image.open(tmp_path / "poster")
    assert poster.size == (240, 320)
    with av.open(str(tmp_path / "clean")) as container:  # the display matrix is kept: players turn it too
        assert next(container.decode(video=0)).rotation == 90


def test_a_large_video_has_a_small_poster(tmp_path: Path) -> None:
    result = clean(tmp_path, mediafiles.video(0.2, size=(1280, 720), audio=None, tags=False))
    assert (result.width, result.height) == (1280, 720)
    assert Image.open(tmp_path / "poster").size == (THUMBNAIL_EDGE, 225)


def cut(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


def faststart(tmp_path: Path) -> bytes:
    """An MP4 with its index first (as kith writes them): cut short, it still opens."""
    clean(tmp_path, mediafiles.video(2.0, tags=False))
    return (tmp_path / "clean").read_bytes()


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: mediafiles.video(301, size=(64, 64), fps=1, audio=None, tags=False), "video_too_long"),
        (lambda p: mediafiles.jpeg(), "not_a_video"),  # a picture named .mp4
        (lambda p: mediafiles.png(), "not_a_video"),
        (lambda p: b"", "not_a_video"),
        (lambda p: b"\0\0\0\x18ftypisom" + b"\0" * 500, "invalid_video"),  # a header and nothing else
        (lambda p: b"\x1a\x45\xdf\xa3" + b"garbage" * 100, "invalid_video"),
        (lambda p: mediafiles.webm(1.0, p / "voice.webm"), "not_a_video"),  # sound only
        (lambda p: cut(mediafiles.video(2.0), 0.8), "invalid_video"),  # index at the end: cut off
        (lambda p: cut(faststart(p), 0.6), "invalid_video"),  # index first: the media data cut short
        (lambda p: cut(mediafiles.video(3.0, fmt="webm", codec="libvpx-vp9", audio=None), 0.5), "invalid_video"),
        (lambda p: mediafiles.video(1.0, fmt="matroska", audio=None), "unsupported_video"),  # H.264 in Matroska
        (lambda p: mediafiles.video(1.0, codec="mpeg4", audio=None), "unsupported_video"),
        (lambda p: mediafiles.video(1.0, audio="mp3"), "unsupported_video"),
        (lambda p: mediafiles.video(0.2, size=(1280, 720), audio=None), "video_too_large"),  # with max_pixels below
    ],
    ids=[
        "too long", "a jpeg", "a png", "empty", "header only", "ebml garbage", "sound only", "mp4 cut",
        "faststart mp4 cut", "webm cut", "h264 in matroska", "mpeg-4 part 2", "mp3 sound", "too many pixels",
    ],
)  # fmt: skip
def test_what_is_not_a_video_kith_takes(tmp_path: Path, make: object, code: str) -> None:
    data = make(tmp_path)  # type: ignore[operator]
    max_pixels = 1280 * 720 - 1 if code == "video_too_large" else MAX_PIXELS
    assert refusal(tmp_path, data, max_pixels=max_pixels) == code


def lying_about_its_length(data: bytes) -> bytes:
    """The MP4 with every duration in its header (mvhd, tkhd, mdhd) set to 1 tick."""
    out = bytearray(data)
    for box, offset in ((b"mvhd", 20), (b"mdhd", 20), (b"tkhd", 24)):  # version 0 boxes
        at = out.find(box)
        while at >= 0:
            out[at + offset : at + offset + 4] = struct.pack(">I", 1)
            at = out.find(box, at + 4)
    return bytes(out)


def test_the_length_is_measured_not_taken_from_the_header(tmp_path: Path) -> None:
    data = mediafiles.video(3.0, tags=False, audio=None)
    assert refusal(tmp_path, data, max_ms=2000) == "video_too_long"
    assert clean(tmp_path, data, max_ms=2600).duration_ms == 3000  # within half a second of slack
    lying = lying_about_its_length(data)
    with av.open(io.BytesIO(lying)) as container:
        assert (container.duration or 0) < 1000  # microseconds: the header says it is over at once
    assert refusal(tmp_path, lying, max_ms=2000) == "video_too_long"
