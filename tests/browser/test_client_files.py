"""The web client's static files: small, self-contained, served by the Python package as they are."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import httpx
from helpers import Server

WEB = Path(__file__).resolve().parents[2] / "src" / "kith" / "web"
BUDGET = 150 * 1024  # bytes of JavaScript, gzipped
IMPORT = re.compile(r"""(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]""", re.M)


def _scripts() -> list[Path]:
    return sorted(WEB.rglob("*.js"))


def test_javascript_is_under_budget() -> None:
    size = sum(len(gzip.compress(p.read_bytes(), 9)) for p in _scripts())
    assert 0 < size < BUDGET, f"{size} bytes of gzipped JavaScript"


def test_every_module_import_resolves_and_nothing_comes_from_elsewhere() -> None:
    for script in _scripts():
        for match in IMPORT.finditer(script.read_text()):
            target = match.group(1) or match.group(2)
            assert target.startswith("./") or target.startswith("../"), f"{script.name} imports {target}"
            assert (script.parent / target).resolve().is_file(), f"{script.name} imports missing {target}"
    page = (WEB / "index.html").read_text() + "".join(p.read_text() for p in sorted(WEB.glob("*.css")))
    assert not re.search(r"""(src|href)=["']?(https?:)?//|url\((['"]?)(https?:)?//""", page), "external resource"


def test_the_server_serves_the_client(kith: Server) -> None:
    index = httpx.get(kith.url + "/")
    assert index.status_code == 200 and '<script type="module" src="/js/main.js">' in index.text
    for path in ("/js/main.js", "/js/views/chat.js", "/app.css", "/moments.css", "/icon.svg"):
        response = httpx.get(kith.url + path)
        assert response.status_code == 200, path
    assert "javascript" in httpx.get(kith.url + "/js/main.js").headers["content-type"]
