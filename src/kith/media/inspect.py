"""What an upload really is: images decoded and re-encoded clean, voice notes demuxed and timed.

These functions block (they decode), so the service runs them in a thread, a few at a time. Each
raises a DomainError that says what is wrong with the content; none trusts what the client said.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from kith.errors import DomainError, Invalid, TooLarge, Unsupported
from kith.media.models import THUMBNAIL_EDGE

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
