"""Real media files for tests, made on the spot: photos with EXIF GPS, bombs, voice notes, videos."""

from __future__ import annotations

import io
import math
import tempfile
import wave
from array import array
from fractions import Fraction
from pathlib import Path

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(width: int = 640, height: int = 480, *, gps: bool = False, orientation: int | None = None) -> bytes:
    """A JPEG of a gradient (compresses like a photo does), optionally with an EXIF GPS position."""
    im = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    exif = Image.Exif()
    if gps:
        ifd = exif.get_ifd(GPS_IFD)
        ifd.update({1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 3.0)})
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 200, 30, 128)).save(out, "PNG")
    return out.getvalue()


def bomb() -> bytes:
    """A small PNG that decodes to 400 megapixels."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    return out.getvalue()


def wav(seconds: float, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(array("h", (int(6000 * math.sin(i / 10)) for i in range(int(seconds * rate)))).tobytes())
    return out.getvalue()


def webm(seconds: float, path: Path) -> bytes:
    """Opus in WebM, as browsers' MediaRecorder makes it."""
    import av

    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libopus", rate=48000, layout="mono")
        n = 0
        for _ in range(int(seconds * 50)):
            frame = av.AudioFrame(format="s16", layout="mono", samples=960)
            frame.planes[0].update(array("h", (int(8000 * math.sin((n + k) / 17)) for k in range(960))).tobytes())
            frame.sample_rate, frame.pts, frame.time_base = 48000, n, Fraction(1, 48000)
            n += 960
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path.read_bytes()


# what phones write into a video's container, and must not survive an upload
VIDEO_TAGS = {
    "creation_time": "2024-05-01T10:00:00.000000Z",
    "location": "+52.5200+013.4050/",
    "com.apple.quicktime.location.ISO6709": "+52.5200+013.4050+035.000/",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15 Pro",
}


def video(
    seconds: float = 1.0,
    path: Path | None = None,
    *,
    fmt: str = "mp4",
    size: tuple[int, int] = (320, 240),
    fps: int = 25,
    codec: str = "libx264",
    audio: str | None = "aac",
    tags: bool = True,
    rotation: int = 0,
) -> bytes:
    """A real video: moving colour bars (each frame differs, as a film's do), a tone as its sound,
    and, with ``tags``, a phone's metadata (creation time, GPS position, make and model) in the
    container and the streams. An MP4 is written as muxers do by default: its index at the end."""
    if path is None:
        with tempfile.TemporaryDirectory() as folder:
            return video(seconds, Path(folder) / f"v.{fmt}", fmt=fmt, size=size, fps=fps, codec=codec, audio=audio,
                         tags=tags, rotation=rotation)  # fmt: skip
    import av
    from PIL import ImageDraw

    width, height = size
    options = {"movflags": "use_metadata_tags"} if fmt in ("mp4", "mov") and tags else {}
    with av.open(str(path), "w", format=fmt, options=options) as out:
        if tags:
            out.metadata.update(VIDEO_TAGS)
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = fps  # a key frame every second, as cameras make them
        if tags:
            stream.metadata.update({"creation_time": VIDEO_TAGS["creation_time"], "handler_name": "Core Media Video"})
        if rotation:
            stream.set_display_rotation(rotation)
        sound = out.add_stream(audio, rate=48000, layout="mono") if audio else None
        for i in range(round(seconds * fps)):
            picture = Image.new("RGB", (width, height), (30, 60 + i * 7 % 150, 160))
            draw = ImageDraw.Draw(picture)
            draw.rectangle([0, 0, width // 2, height // 2], fill=(250, 200, 0))
            draw.rectangle([i * 4 % width, height // 2, i * 4 % width + 20, height], fill=(200, 30, 30))
            frame = av.VideoFrame.from_image(picture)
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        if sound is not None:
            samples = sound.codec_context.frame_size or 960
            n = 0
            while n < seconds * 48000:
                frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
                tone = array("h", (int(6000 * math.sin((n + k) / 17)) for k in range(samples)))
                frame.planes[0].update(tone.tobytes())
                frame.sample_rate, frame.pts, frame.time_base = 48000, n, Fraction(1, 48000)
                n += samples
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
    return path.read_bytes()
