"""Uploads: throughput, the cost of checking an image, and the server's memory under parallel uploads.

Starts its own `kith serve` (SQLite in a temporary directory), signs up one user per client and
measures, each a median of RUNS:

- upload throughput: a 100 MiB file streamed raw (`POST /api/v1/media?kind=file`), MiB/s from the
  first byte sent to the 201;
- a 12-megapixel JPEG photo: the time to upload it (decoded, re-encoded without its metadata, stored),
  and, in this process, the time kith.media.inspect takes to clean it and to make its thumbnail;
- 10 clients uploading a 20 MiB image at once: the server's peak resident memory (VmHWM) against
  its memory before, so that holding whole files (or more than a few decoded images) would show.

    .venv/bin/python bench/media.py             # 3 runs
    .venv/bin/python bench/media.py --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from PIL import Image, ImageFilter

from kith.bench.server import LocalServer
from kith.bench.setup import Api, run_tag
from kith.media import inspect

MiB = 1024 * 1024
UNLIMITED_ENV = {"KITH_RATE_MEDIA_USER": "off"}


def photo(width: int, height: int, seed: int = 1) -> bytes:
    """A JPEG that compresses like a photo: smooth colour with fine grain."""
    rng = random.Random(seed)
    base = Image.radial_gradient("L").resize((width, height)).convert("RGB")
    grain = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3)).filter(ImageFilter.BoxBlur(1))
    out = io.BytesIO()
    Image.blend(base, grain, 0.35).save(out, "JPEG", quality=92)
    return out.getvalue()


def noise_jpeg(target_bytes: int) -> bytes:
    """A JPEG of noise of just under ``target_bytes`` (noise is what keeps a JPEG that large)."""
    side = 2000
    for _ in range(10):
        im = Image.frombytes("RGB", (side, side), random.Random(side).randbytes(side * side * 3))
        out = io.BytesIO()
        im.save(out, "JPEG", quality=95)
        if 0.97 * target_bytes <= out.tell() <= target_bytes:
            return out.getvalue()
        side = int(side * (0.985 * target_bytes / out.tell()) ** 0.5)
    raise RuntimeError("no JPEG of that size")


def variant(jpeg: bytes, n: int) -> bytes:
    """The same picture with a different JPEG comment: other bytes, the same pixels."""
    comment = f"variant {n}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


async def chunked(data: bytes, size: int = MiB) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def upload(client: httpx.AsyncClient, token: str, data: bytes, kind: str) -> float:
    start = time.perf_counter()
    response = await client.post(
        "/api/v1/media",
        params={"kind": kind, "name": f"bench.{'jpg' if kind == 'image' else 'bin'}"},
        content=chunked(data),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream",
                 "Content-Length": str(len(data))},
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    assert response.status_code == 201, response.text
    return elapsed


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


async def one_run(big_file: bytes, twelve_mp: bytes, twenty_mib: bytes) -> dict[str, float]:
    server = LocalServer(extra_env=UNLIMITED_ENV).start()
    try:
        async with Api(server.url) as api, httpx.AsyncClient(base_url=server.url, timeout=300) as client:
            users = await api.register_many(run_tag(), 10)
            token = users[0].token
            await upload(client, token, b"warm-up", "file")
            await upload(client, token, photo(64, 64), "image")
            file_s = await upload(client, token, big_file, "file")
            photo_s = await upload(client, token, twelve_mp, "image")
            assert server.pid is not None
            before = status_kib(server.pid, "VmRSS")
            await asyncio.gather(
                *(upload(client, u.token, variant(twenty_mib, n), "image") for n, u in enumerate(users))
            )
            peak = status_kib(server.pid, "VmHWM")
    finally:
        server.stop()
    return {
        "file_mib_s": len(big_file) / MiB / file_s,
        "photo_upload_ms": photo_s * 1000,
        "rss_before_mib": before / 1024,
        "rss_peak_mib": peak / 1024,
    }


def local_costs(twelve_mp: bytes) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        source, clean, thumb = Path(folder, "in.jpg"), Path(folder, "clean.jpg"), Path(folder, "thumb.webp")
        source.write_bytes(twelve_mp)
        start = time.perf_counter()
        inspect.clean_image(source, clean, 40_000_000)
        cleaned = time.perf_counter() - start
        start = time.perf_counter()
        inspect.thumbnail(clean, thumb)
        thumbnailed = time.perf_counter() - start
    return {"clean_ms": cleaned * 1000, "thumbnail_ms": thumbnailed * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    big_file = os.urandom(100 * MiB)
    twelve_mp = photo(4000, 3000)
    twenty_mib = noise_jpeg(20 * MiB - 1024)
    size = Image.open(io.BytesIO(twenty_mib)).size
    print(f"inputs: a 100 MiB file; a 12 MP photo of {len(twelve_mp) / MiB:.1f} MiB;")
    print(f"        a {size[0]}x{size[1]} JPEG of {len(twenty_mib) / MiB:.1f} MiB for each of the 10 clients")
    results = []
    for run in range(1, args.runs + 1):
        result = {**asyncio.run(one_run(big_file, twelve_mp, twenty_mib)), **local_costs(twelve_mp)}
        results.append(result)
        print(f"run {run}: " + ", ".join(f"{k} {v:.1f}" for k, v in result.items()))
    print(f"medians of {args.runs} runs:")
    for key in results[0]:
        print(f"  {key:16} {statistics.median(r[key] for r in results):8.1f}")


if __name__ == "__main__":
    main()
