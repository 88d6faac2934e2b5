"""Event types are declared once, in the models of the domain that emits them, and documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kith.events.types import EventType, declared

SYNC_DOC = Path(__file__).parents[2] / "docs" / "sync.md"


def documented() -> set[str]:
    """The names in the first column of the event-type table of docs/sync.md."""
    text = SYNC_DOC.read_text()
    table = text.split("## Event types", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([a-z._]+)`", line.split("|")[1]))
    return names


def test_docs_list_exactly_the_declared_event_types() -> None:
    kinds = declared()
    assert len(kinds) >= 15
    assert documented() == set(kinds)


def test_an_event_type_has_a_well_formed_name() -> None:
    with pytest.raises(ValueError):
        EventType("Message Sent")
    assert EventType("message", ref="message").ref == "message"
