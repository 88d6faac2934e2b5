"""The field types of request bodies and queries, with the domain's limits stated for the OpenAPI document.

To the decoder each type is a plain ``str``, ``int`` or list: the services check every rule and word
the errors people read. The limits here only annotate the schema (``extra_json_schema``), and each
comes from the constant or setting the services check, so the document cannot drift from the rules.
What a schema cannot say (the rule is about who asks, or about the current state) stays out of it.
A few limits are settings (page sizes, text size, group size): the document names the setting
(``SETTING``) and ``kith.http.openapi`` writes in the server's value.

Each type also says what it is (``description``), for the many fields that share it; a field that
means something more particular says so on its own annotation, which wins
(``Annotated[Handle, Meta(description=...)]``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from msgspec import Meta

from kith import validation
from kith.accounts.models import (
    HANDLE,
    MAX_DEVICE_NAME,
    MAX_DISPLAY_NAME,
    MAX_PASSWORD,
    MAX_STATUS,
    MIN_PASSWORD,
    SIGN_IN_KEY,
)
from kith.chats.models import CLIENT_ID, MAX_GROUP_NAME, MAX_PLACE_LABEL
from kith.contacts.models import MAX_GREETING, MAX_REMARK
from kith.invitekey import TOKEN as INVITE_TOKEN
from kith.moments.models import MAX_PLACE as MAX_MOMENT_PLACE
from kith.moments.models import MomentLimits
from kith.platform.models import MAX_DESCRIPTION as MAX_ACCOUNT_DESCRIPTION
from kith.platform.models import MAX_NAME as MAX_ACCOUNT_NAME

# {"keyword": ["setting", divisor]}: the keyword's value is the setting's, divided by the divisor
SETTING = "x-kith-setting"


def ecma(regex: re.Pattern[str]) -> str:
    """``regex`` as an ECMA-262 pattern (JSON Schema's dialect): anchors as ^ and $, and characters
    that are not printable as \\u escapes, so the document stays plain, valid UTF-8 JSON."""
    pattern = regex.pattern.replace("\\A", "^").replace("\\Z", "$")
    return "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else f"\\u{ord(c):04x}" for c in pattern)


def _class_body(regex: re.Pattern[str]) -> str:
    """The inside of a regex that is one character class: ``[abc]`` -> ``abc``."""
    pattern = ecma(regex)
    assert pattern.startswith("[") and pattern.endswith("]") and pattern.count("[") == 1, pattern
    # lone surrogates cannot arrive as UTF-8 (a JSON escape of one is refused before any field is
    # read), and many regex engines refuse them in a pattern: the schema leaves them out
    return pattern[1:-1].replace("\\ud800-\\udfff", "")


def _text(forbidden: re.Pattern[str], *, required: bool) -> str:
    """A pattern for text without the ``forbidden`` characters; ``required``: not only white space."""
    free = f"[^{_class_body(forbidden)}]*"
    return f"^{free}[^\\s{_class_body(forbidden)}]{free}$" if required else f"^{free}$"


def line(max_chars: int, description: str, *, required: bool = False) -> Any:
    """A single line of human text, as ``validation.line`` accepts it (it also trims, which we need not say)."""
    schema = {"maxLength": max_chars, "pattern": _text(validation.LINE_FORBIDDEN, required=required)}
    extra = {**schema, **({"minLength": 1} if required else {})}
    return Annotated[str, Meta(description=description, extra_json_schema=extra)]


def text_of(max_bytes: int, description: str) -> Any:
    """Human text of at most ``max_bytes`` bytes of UTF-8, new lines allowed, not only white space (a
    character takes at most 4 bytes, so a quarter of the limit in characters always fits)."""
    schema = {"pattern": _text(validation.CONTROL_BUT_NEWLINES, required=True), "minLength": 1,
              "maxLength": max_bytes // 4}  # fmt: skip
    return Annotated[str, Meta(description=f"{description}: at most {max_bytes} bytes of UTF-8, new lines allowed",
                               extra_json_schema=schema)]  # fmt: skip


def at_least_one(*names: str) -> dict[str, Any]:
    """A body schema rule: at least one of ``names`` is given and not null."""
    return {"anyOf": [{"required": [n], "properties": {n: {"not": {"type": "null"}}}} for n in names]}


def exactly_one(*names: str) -> dict[str, Any]:
    """A body schema rule: exactly one of ``names`` is given and not null."""
    return {"oneOf": at_least_one(*names)["anyOf"]}


def only_with(name: str, needed: str) -> dict[str, Any]:
    """A body schema rule: ``name``, when given and not null or empty, comes with ``needed`` (not null)."""
    return {
        "anyOf": [
            {"not": {"required": [name]}},
            {"properties": {name: {"type": "null"}}},
            {"properties": {name: {"maxItems": 0}}},
            {"required": [needed], "properties": {needed: {"not": {"type": "null"}}}},
        ]
    }


Id = Annotated[
    int,
    Meta(
        description="An id (ids are positive 64-bit integers)",
        extra_json_schema={"minimum": 1, "maximum": validation.MAX_ID, "format": "int64"},
    ),
]
Seq = Annotated[
    int,
    Meta(
        description="A message's number in its conversation (1, 2, 3, ... in the order the server stored them)",
        extra_json_schema={"minimum": 0, "maximum": validation.MAX_SEQ, "format": "int64"},
    ),
]
Since = Annotated[
    int,
    Meta(
        description="The last seq of your event log you have: the events after it are returned (0: from the start)",
        extra_json_schema={"minimum": 0, "maximum": validation.MAX_ID, "format": "int64"},
    ),
]
Handle = Annotated[
    str,
    Meta(description="A handle: 3 to 32 characters of a-z, 0-9, _ and .", extra_json_schema={"pattern": ecma(HANDLE)}),
]
InviteToken = Annotated[
    str, Meta(description="The token of an invite link", extra_json_schema={"pattern": ecma(INVITE_TOKEN)})
]
Password = Annotated[
    str,
    Meta(
        description="At least 8 characters and hard to guess: a weak one (a word, a name, your handle) is refused "
        "with `weak_password` and advice",
        extra_json_schema={"minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD},
    ),
]
# checked against the hash only
AnyPassword = Annotated[str, Meta(description="Your password", extra_json_schema={"maxLength": MAX_PASSWORD})]
DeviceKey = Annotated[
    str,
    Meta(
        description="A random key this device keeps and sends with every sign-in (128 random bits or more, URL-safe "
        "base64); only its hash is stored. A device that signed in with its key before has its own budget of "
        "failed sign-ins, so someone guessing your password cannot lock it out",
        extra_json_schema={"pattern": ecma(SIGN_IN_KEY)},
    ),
]
DisplayName = line(MAX_DISPLAY_NAME, "The name people see, one line", required=True)
Status = line(MAX_STATUS, "Your status line, seen by whoever may see your profile (empty: none)")
DeviceName = line(MAX_DEVICE_NAME, 'A name for this device in your device list (default "Unknown device")')
Greeting = line(MAX_GREETING, "A line for them to read with your request (optional)")
Remark = line(MAX_REMARK, "Your private name for this friend, seen by you alone (empty: none)")
GroupName = line(MAX_GROUP_NAME, "The group's name, seen by its members (empty: none)")
PlaceLabel = line(MAX_PLACE_LABEL, "What the place is called (optional)")
# a search that holds no letter, digit or CJK character (only punctuation) is refused: nothing_to_find
SearchText = Annotated[
    str,
    Meta(
        description="The words to find, Chinese or English alike (only punctuation is refused: `nothing_to_find`)",
        extra_json_schema={"minLength": 1, "maxLength": 100},
    ),
]
MomentPlace = line(MAX_MOMENT_PLACE, "Where it was posted, in the author's words (optional)")
PostText = text_of(MomentLimits.max_text_bytes, "The post's text")
CommentText = text_of(MomentLimits.max_comment_bytes, "The comment's text")
AccountName = line(MAX_ACCOUNT_NAME, "The account's name: seen by everyone, found by search, taken by one account",
                   required=True)  # fmt: skip
AccountDescription = line(MAX_ACCOUNT_DESCRIPTION, "A line about the account, shown on its page (optional)")
ClientId = Annotated[
    str,
    Meta(
        description="Your idempotency key: 1 to 64 characters of A-Z, a-z, 0-9, _ and -",
        extra_json_schema={"pattern": ecma(CLIENT_ID)},
    ),
]
# a character takes at most 4 bytes of UTF-8, so a quarter of the byte limit in characters always fits
Text = Annotated[
    str,
    Meta(
        description="The message's text: at most `max_text_bytes` bytes of UTF-8 (maxLength is the count of "
        "characters that always fits), new lines allowed, not only white space",
        extra_json_schema={
            "pattern": _text(validation.CONTROL_BUT_NEWLINES, required=True),
            "minLength": 1,
            SETTING: {"maxLength": ["max_text_bytes", 4]},
        },
    ),
]
MemberIds = Annotated[
    list[Id],
    Meta(
        description="User ids of your friends",
        extra_json_schema={"minItems": 1, SETTING: {"maxItems": ["max_group_members", 1]}},
    ),
]
HistoryLimit = Annotated[
    int,
    Meta(
        description="At most this many messages (default 50)",
        extra_json_schema={"minimum": 1, SETTING: {"maximum": ["history_page_max", 1]}},
    ),
]
SyncLimit = Annotated[
    int,
    Meta(
        description="At most this many events (default: the most a page may hold)",
        extra_json_schema={"minimum": 1, SETTING: {"maximum": ["sync_page_max", 1]}},
    ),
]
