"""The repository's own text: no merge left half-done in any tracked file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.M)
TEXT = {".py", ".md", ".js", ".css", ".html", ".json", ".sql", ".toml", ".yml", ".yaml", ".webmanifest", ""}


def test_no_tracked_file_holds_merge_conflict_markers() -> None:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = [ROOT / name for name in listed.splitlines() if Path(name).suffix in TEXT]
    assert len(files) > 100  # the listing worked
    marked = [str(f.relative_to(ROOT)) for f in files if f.is_file() and MARKER.search(f.read_text(errors="replace"))]
    assert not marked, f"merge conflict markers in {marked}"
