"""The security headers sent with every response: API, docs, the web client, errors alike.

They are constant, so the server adds them to every response it writes (uvicorn's default headers)
at no cost per request. The Content-Security-Policy allows scripts, styles, images, fonts and
connections (fetch and the WebSocket) from kith's own origin only (images and sound also from
``blob:`` URLs, which is how the client shows media it fetched with its token): no inline script or style, no
``eval``, no plugins, no ``<base>``, and no framing by any page. The one exception is the API
docs page, a single self-contained file: its inline script and stylesheet are allowed by their
SHA-256 hashes, so exactly those two blocks run and nothing else inline does.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


def docs_page() -> str:
    return (resources.files("kith.http") / "docs.html").read_text(encoding="utf-8")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy(docs_html: str) -> str:
    inline: dict[str, list[str]] = {"script": [], "style": []}
    for kind, text in _INLINE.findall(docs_html):
        inline[kind].append(_hash(text))
    return "; ".join(
        (
            "default-src 'none'",
            " ".join(("script-src 'self'", *inline["script"])),
            " ".join(("style-src 'self'", *inline["style"])),
            "img-src 'self' blob:",  # media are fetched with the bearer token and shown from blob: URLs
            "media-src 'self' blob:",
            "font-src 'self'",
            "connect-src 'self'",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def headers() -> list[tuple[str, str]]:
    return [
        ("Content-Security-Policy", content_security_policy(docs_page())),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    ]
