"""Small checks shared by the services: every rule raises ``Invalid`` with the field it concerns."""

from __future__ import annotations

import re

from kith.errors import Invalid, TooLarge

# Unicode category Cc (C0 and C1 controls) and Cs (surrogates, which only a JSON escape can produce)
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_BUT_NEWLINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # tab and newline pass

# Invisible formatting characters (Unicode Cf) that can disguise a name or reorder what is shown
# around it: bidi marks, embeddings, overrides and isolates, zero-width space and word joiners, the
# byte-order mark, interlinear annotation. Zero-width (non-)joiners stay: emoji and several scripts need them.
# Also the soft hyphen, the Mongolian vowel separator and the Hangul fillers, which show as nothing.
FORMATTING = re.compile(
    "[\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164"
    "\ufeff\uffa0\ufff9-\ufffb]"
)
# what a single line of human text may not hold: either of the above
LINE_FORBIDDEN = re.compile("[" + CONTROL.pattern[1:-1] + FORMATTING.pattern[1:-1] + "]")

MAX_ID = 2**63 - 1  # ids are positive 64-bit integers
MAX_SEQ = 2**62 - 1  # sequence numbers stay well inside 64 bits


def _has_control(value: str, allow_newlines: bool) -> bool:
    return (CONTROL_BUT_NEWLINES if allow_newlines else CONTROL).search(value) is not None


def line(value: str, field: str, max_chars: int, *, allow_empty: bool = False) -> str:
    """A single line of human text (names, statuses, greetings): trimmed, no control characters and
    no invisible formatting characters."""
    value = value.strip(" \t\r\n")  # a pasted trailing newline is trimmed, not refused
    if _has_control(value, allow_newlines=False):
        raise Invalid(f"{field} must not contain control characters", field=field)
    if FORMATTING.search(value):
        raise Invalid(
            f"{field} must not contain invisible formatting characters (such as the right-to-left override U+202E)",
            "invisible_characters",
            field=field,
        )
    value = value.strip()
    if not value and not allow_empty:
        raise Invalid(f"{field} must not be empty", field=field)
    if len(value) > max_chars:
        raise Invalid(f"{field} must be at most {max_chars} characters", field=field)
    return value


def message_text(value: str, max_bytes: int) -> str:
    if not value.strip():
        raise Invalid("text must not be empty", field="text")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates from a JSON \ud800 escape
        raise Invalid("text must be valid Unicode", field="text") from None
    if size > max_bytes:
        raise TooLarge(f"text must be at most {max_bytes} bytes", field="text", limit=max_bytes)
    if _has_control(value, allow_newlines=True):
        raise Invalid("text must not contain control characters", field="text")
    return value


def positive_id(value: int, field: str) -> int:
    if not 0 < value <= MAX_ID:
        raise Invalid(f"{field} must be a positive id", field=field)
    return value
