"""Real media files for tests, made on the spot: photos with EXIF GPS, bombs, voice notes."""

from __future__ import annotations

import io
import math
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
