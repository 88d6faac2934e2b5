"""What an upload really is: images decoded and re-encoded clean, voice notes demuxed and timed,
videos stream-copied into a clean container.

These functions block (they decode), so the service runs them in a thread, a few at a time. Each
raises a DomainError that says what is wrong with the content; none trusts what the client said.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps, UnidentifiedImageError

from kith.errors import DomainError, Invalid, TooLarge, Unsupported
from kith.media.models import THUMBNAIL_EDGE

if TYPE_CHECKING:  # PyAV is imported where it is used: it loads FFmpeg's libraries
    from av.audio.stream import AudioStream
    from av.container import InputContainer
    from av.stream import Stream
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_FRAMES = 1000

# audio containers a voice note may come in (what browsers' MediaRecorder and phones record), by
# the name of the demuxer that read it
AUDIO_CONTAINERS = {
    "matroska,webm": "audio/webm",
    "ogg": "audio/ogg",
    "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
}


@dataclass(frozen=True)
class Probed:
    mime: str
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None


def audio_magic(head: bytes) -> bool:
    """Whether the first bytes are those of an accepted audio container (checked before any demuxer runs)."""
    return (
        head.startswith((b"\x1a\x45\xdf\xa3", b"OggS", b"ID3"))
        or head[4:8] == b"ftyp"
        or (head[:4] == b"RIFF" and head[8:12] == b"WAVE")
        or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)  # an MPEG audio frame
    )


def clean_image(source: Path, target: Path, max_pixels: int) -> Probed:
    """Decode ``source`` and write it to ``target`` re-encoded, without its metadata (EXIF with
    any GPS position, XMP, comments); the EXIF orientation is applied to the pixels first."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(source, formats=list(IMAGE_FORMATS))
        except UnidentifiedImageError:
            raise Unsupported("this is not a JPEG, PNG, WebP or GIF image", "not_an_image") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(max_pixels) from None
        except Exception as exc:  # whatever a decoder raises on bytes it cannot read
            raise Invalid(f"the image could not be read: {exc}", "invalid_image") from None
        with im:
            try:
                return _clean(im, target, max_pixels)
            except DomainError:
                raise
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _too_many_pixels(max_pixels) from None
            except Exception as exc:  # truncated or corrupt data, found while decoding
                raise Invalid(f"the image could not be decoded: {exc}", "invalid_image") from None


def _clean(im: Image.Image, target: Path, max_pixels: int) -> Probed:
    # MPO is how Pillow names a JPEG with extra pictures in it, as phones write them: its first is the photo
    fmt = "JPEG" if im.format == "MPO" else (im.format or "")
    frames = 1 if fmt == "JPEG" else getattr(im, "n_frames", 1)
    if frames > MAX_FRAMES or im.width * im.height * frames > max_pixels:
        raise _too_many_pixels(max_pixels)
    if frames > 1:
        _save_animation(im, target, fmt)
        return Probed(IMAGE_FORMATS[fmt], im.width, im.height)
    width, height = _save_still(im, target, fmt)
    return Probed(IMAGE_FORMATS[fmt], width, height)


def _too_many_pixels(max_pixels: int) -> TooLarge:
    return TooLarge(f"an image may have at most {max_pixels} pixels", "image_too_large", limit=max_pixels)


def _save_still(im: Image.Image, target: Path, fmt: str) -> tuple[int, int]:
    im.seek(0)
    im.load()
    icc = im.info.get("icc_profile")
    transparency = im.info.get("transparency")
    ImageOps.exif_transpose(im, in_place=True)  # in place: a second copy only while it is rotated
    out = im
    out.info = {}  # what Pillow would otherwise carry over: exif, xmp, comments, text chunks
    options: dict[str, object] = {"icc_profile": icc} if icc else {}
    if transparency is not None and fmt in ("PNG", "GIF"):
        options["transparency"] = transparency
    if fmt == "JPEG":
        if out.mode not in ("RGB", "L"):
            out = out.convert("RGB")
            options.pop("icc_profile", None)  # a CMYK profile describes none of the new pixels
        out.save(target, "JPEG", quality=90, **options)
    elif fmt == "PNG":
        out.save(target, "PNG", **options)
    elif fmt == "WEBP":
        out.save(target, "WEBP", quality=90, **options)
    else:  # a one-frame GIF
        options.pop("icc_profile", None)
        out.save(target, "GIF", **options)
    return out.size


def _save_animation(im: Image.Image, target: Path, fmt: str) -> None:
    """Every frame, in the format it came in (GIF, animated PNG, animated WebP); the per-frame
    timing and transparency are kept, the metadata is not."""
    for key in ("comment", "exif", "xmp", "icc_profile"):
        im.info.pop(key, None)
    if fmt == "GIF":
        im.save(target, "GIF", save_all=True)
    elif fmt == "PNG":
        im.save(target, "PNG", save_all=True)
    else:
        im.save(target, "WEBP", save_all=True, quality=90)


def thumbnail(source: Path, target: Path) -> None:
    """A WebP at most THUMBNAIL_EDGE px on its longer side, of the first frame of a clean image."""
    with Image.open(source) as im:
        im.draft("RGB", (THUMBNAIL_EDGE, THUMBNAIL_EDGE))  # JPEG: decode at a fraction of the size
        im.seek(0)
        small = im.convert("RGBA" if _has_alpha(im) else "RGB")
        small.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
        small.save(target, "WEBP", quality=80)


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info


def voice(source: Path, max_ms: int) -> Probed:
    """The type and duration of a voice note: a real audio container with one audio stream and no
    video, every packet of which demuxes and decodes; longer than ``max_ms`` is refused."""
    with open(source, "rb") as f:
        if not audio_magic(f.read(16)):
            raise Unsupported("a voice note must be WebM, Ogg, MP4, MP3 or WAV audio", "not_audio")
    import av  # loaded on first use: it brings FFmpeg's libraries

    try:
        container = av.open(str(source), metadata_errors="ignore")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise Invalid(f"the voice note could not be read: {exc}", "invalid_audio") from None
    with container:
        mime = AUDIO_CONTAINERS.get(container.format.name)
        if mime is None:
            raise Unsupported("a voice note must be WebM, Ogg, MP4, MP3 or WAV audio", "not_audio")
        if container.streams.video:
            raise Invalid("a voice note has no video", "invalid_audio")
        if not container.streams.audio:
            raise Invalid("the file has no audio in it", "invalid_audio")
        stream = container.streams.audio[0]
        end = 0.0
        decoded = 0
        try:
            for packet in container.demux(stream):
                if packet.pts is None or packet.time_base is None:
                    continue
                end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
                if end * 1000 > max_ms + 500:
                    raise Invalid(f"a voice note may be at most {max_ms // 1000} s long", "voice_too_long")
                decoded += len(packet.decode())
        except av.FFmpegError as exc:
            raise Invalid(f"the voice note could not be decoded: {exc}", "invalid_audio") from None
        if decoded == 0:
            raise Invalid("the voice note has no sound in it", "invalid_audio")
        start = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
    duration_ms = round((end - max(start, 0.0)) * 1000)
    if duration_ms > max_ms + 500:  # half a second of slack: recorders stop a little late
        raise Invalid(f"a voice note may be at most {max_ms // 1000} s long", "voice_too_long")
    return Probed(mime, duration_ms=max(duration_ms, 1))


# -- video ---------------------------------------------------------------------------------------

# what a video may come in: the demuxer that reads it, the container it is written back into, its
# type, and the codecs that container carries (stream copy: what comes in is what goes out)
VIDEO_CONTAINERS = {
    "mov": ("mp4", "video/mp4", {"h264", "vp9", "av1"}, {"aac", "opus"}),  # MP4 and QuickTime
    "matroska": ("webm", "video/webm", {"vp8", "vp9", "av1"}, {"opus"}),  # WebM
}
_NOT_VIDEO = "a video must be MP4, QuickTime (.mov) or WebM"
PACKETS_PER_SECOND = 500  # far more than video at 240 frames a second and its audio need


def video_demuxer(head: bytes) -> str | None:
    """The one demuxer that may read an upload whose first bytes are ``head``: no other format's
    reader (FFmpeg has hundreds) ever sees what a user sent."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska, WebM
        return "matroska"
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):  # ISO base media, QuickTime
        return "mov"
    return None


def video(source: Path, target: Path, poster: Path, max_ms: int, max_pixels: int) -> Probed:
    """Check a video and write it to ``target`` stream-copied (never re-encoded) into a fresh MP4
    (its index first, so it plays while it loads) or WebM, with one video and at most one audio
    stream and none of the container's metadata (creation time, GPS position, device names, data
    tracks); a JPEG of its first frame, at most THUMBNAIL_EDGE px, goes to ``poster``.

    Every packet is demuxed (the duration is measured, not taken from the header; a file that ends
    before its index does is truncated), key frames are decoded (that the codec reads it at all,
    without the cost of decoding every frame), audio is decoded whole."""
    with open(source, "rb") as f:
        demuxer = video_demuxer(f.read(16))
    if demuxer is None:
        raise Unsupported(_NOT_VIDEO, "not_a_video")
    import av  # loaded on first use: it brings FFmpeg's libraries

    out_format, mime, video_codecs, audio_codecs = VIDEO_CONTAINERS[demuxer]
    try:
        container = av.open(str(source), format=demuxer, metadata_errors="ignore")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise Invalid(f"the video could not be read: {exc}", "invalid_video") from None
    with container:
        # a cover picture is a "video" stream of one still: not the film
        films = [v for v in container.streams.video if not v.disposition & av.stream.Disposition.attached_pic]
        if not films:
            raise Unsupported("there is no video in this file", "not_a_video")
        vstream = films[0]
        astream = container.streams.audio[0] if container.streams.audio else None
        vcodec = _codec_name(vstream)
        if vcodec not in video_codecs:
            raise Unsupported(
                f"{out_format.upper()} video must be {', '.join(sorted(video_codecs)).upper()}, not {vcodec}",
                "unsupported_video",
            )  # fmt: skip
        if astream is not None and _codec_name(astream) not in audio_codecs:
            raise Unsupported(
                f"the sound of {out_format.upper()} video must be {' or '.join(sorted(audio_codecs)).upper()},"
                f" not {_codec_name(astream)}", "unsupported_video",
            )  # fmt: skip
        if (vstream.width or 0) * (vstream.height or 0) > max_pixels:
            raise TooLarge(f"a video's frames may have at most {max_pixels} pixels", "video_too_large",
                           limit=max_pixels)  # fmt: skip
        if container.duration is not None and container.duration // 1000 > max_ms + 500:
            raise _too_long(max_ms)  # what the header says is enough to refuse (not to accept)
        # the decoder refuses frames larger than the limit, whatever the container claimed
        vstream.codec_context.options = {"max_pixels": str(max_pixels)}
        vstream.codec_context.skip_frame = "NONKEY"
        vstream.codec_context.thread_count = 1  # one frame in memory at a time, not one per core
        try:
            return _remux(container, vstream, astream, target, poster, out_format, mime, max_ms)
        except DomainError:
            raise
        except (av.FFmpegError, ValueError, OSError) as exc:
            raise Invalid(f"the video could not be decoded: {exc}", "invalid_video") from None


def _codec_name(stream: Stream) -> str:
    return str(stream.codec_context.codec.canonical_name) if stream.codec_context is not None else "none"


def _too_long(max_ms: int) -> Invalid:
    return Invalid(f"a video may be at most {max_ms // 1000} s long", "video_too_long")


def _remux(
    inp: InputContainer, vstream: VideoStream, astream: AudioStream | None, target: Path, poster: Path,
    out_format: str, mime: str, max_ms: int,
) -> Probed:  # fmt: skip
    import av

    streams: list[Stream] = [vstream] if astream is None else [vstream, astream]
    options = {"fflags": "+bitexact"}  # no "encoder" tag naming the software that wrote it
    if out_format == "mp4":
        options["movflags"] = "+faststart"  # the index (moov) before the media data
    frame: VideoFrame | None = None
    packets: dict[int, int] = {}
    ends: dict[int, float] = {}
    audio_frames = 0
    budget = max(1, max_ms // 1000 + 1) * PACKETS_PER_SECOND
    with av.open(str(target), "w", format=out_format, options=options) as out:
        copies = {s.index: out.add_stream_from_template(s, opaque=True) for s in streams}
        for packet in inp.demux(streams):
            if packet.size == 0:  # the demuxer's end-of-stream marker
                continue
            if packet.is_corrupt:
                raise Invalid("the video is cut short or damaged", "invalid_video")
            index = packet.stream.index
            packets[index] = packets.get(index, 0) + 1
            budget -= 1
            if budget < 0:
                raise Invalid("the video has too many frames for its length", "invalid_video")
            if packet.pts is not None and packet.time_base is not None:
                end = float((packet.pts - (packet.stream.start_time or 0) + (packet.duration or 0)) * packet.time_base)
                ends[index] = max(ends.get(index, 0.0), end)
                if end * 1000 > max_ms + 500:
                    raise _too_long(max_ms)
            if index == vstream.index:
                for decoded in vstream.decode(packet):  # key frames only (skip_frame)
                    if frame is None:
                        frame = decoded
            else:
                audio_frames += len(packet.decode())
            packet.stream = copies[index]
            out.mux(packet)
        for decoded in vstream.decode(None):  # what the decoder held back
            if frame is None:
                frame = decoded
        for s in streams:
            # an MP4's index lists every packet: if fewer arrived, the file was cut short
            if out_format == "mp4" and packets.get(s.index, 0) < len(s.index_entries):
                raise Invalid("the video is cut short", "invalid_video")
    if frame is None:
        raise Invalid("no frame of the video could be decoded", "invalid_video")
    if astream is not None and audio_frames == 0:
        raise Invalid("the video's sound could not be decoded", "invalid_video")
    declared = inp.duration  # microseconds, from the header (a WebM's, if it has one)
    measured = max(ends.values(), default=0.0)
    if declared is not None and measured * 1000 < declared / 1000 - 1000:
        raise Invalid("the video ends before its header says it does: it is cut short", "invalid_video")
    rotation = round(frame.rotation / 90) * 90 % 360 if frame.rotation else 0
    width, height = (frame.height, frame.width) if rotation in (90, 270) else (frame.width, frame.height)
    _save_poster(frame, rotation, poster)
    return Probed(mime, width, height, max(round(measured * 1000), 1))


def _save_poster(frame: VideoFrame, rotation: int, target: Path) -> None:
    """The frame scaled down by FFmpeg before it is ever an RGB picture (a 4K frame is not
    converted whole), turned as the video is shown, as a JPEG."""
    w, h = frame.width, frame.height
    scale = min(1.0, THUMBNAIL_EDGE / max(w, h))
    small = frame.reformat(width=max(2, round(w * scale)), height=max(2, round(h * scale)), format="rgb24").to_image()
    if rotation:
        small = small.rotate(rotation, expand=True)
    small.save(target, "JPEG", quality=80)
