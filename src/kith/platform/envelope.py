"""The XML of the webhook: the envelopes kith sends, and the replies it accepts.

What kith sends follows WeChat's encoding (the protocol reference §1.4): a root ``<xml>``, strings in
CDATA (a ``]]>`` inside split across two sections), numbers bare. What comes back is written by
someone else's code, so it is parsed with defusedxml (no DTD, no entities, no external anything),
within a size limit, and any surprise (malformed XML, a repeated element, an unknown type, a reply
to someone else) makes the whole reply abnormal: dropped and logged, never shown raw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeXml
from defusedxml import DefusedXmlException

MAX_REPLY_BYTES = 64 * 1024
MAX_ARTICLES = 8
REPLY_TYPES = ("text", "image", "voice", "video", "music", "news", "transfer_customer_service")


class AbnormalReply(Exception):
    """A reply kith will not deliver; the message says why (for the delivery log)."""


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render(fields: Mapping[str, Any]) -> str:
    """``fields`` as an envelope: strings in CDATA, ints bare, a mapping as nested elements."""
    return "<xml>" + _render(fields) + "</xml>"


def _render(fields: Mapping[str, Any]) -> str:
    parts = []
    for name, value in fields.items():
        if isinstance(value, bool):
            raise TypeError(f"{name}: a bool has no envelope form")
        if isinstance(value, int | float):
            inner = str(value)
        elif isinstance(value, Mapping):
            inner = _render(value)
        else:
            inner = cdata(str(value))
        parts.append(f"<{name}>{inner}</{name}>")
    return "".join(parts)


@dataclass(frozen=True)
class Reply:
    """A passive reply that passed every check: its type and its fields (text stripped of nothing)."""

    msg_type: str
    to_user: str
    from_user: str
    fields: dict[str, Any] = field(default_factory=dict)


def parse_xml(body: bytes) -> dict[str, Any]:
    """An envelope as nested dicts of text; AbnormalReply if it is not one."""
    if len(body) > MAX_REPLY_BYTES:
        raise AbnormalReply(f"the reply is larger than {MAX_REPLY_BYTES} bytes")
    try:
        root = SafeXml.fromstring(body.strip(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise AbnormalReply(f"the reply is not well-formed XML: {exc}") from None
    if root.tag != "xml":
        raise AbnormalReply("the reply's root element is not <xml>")
    return _children(root)


def _children(element: Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in element:
        if child.tag in out and child.tag != "item":
            raise AbnormalReply(f"<{child.tag}> appears more than once")
        value: Any = _children(child) if len(child) else (child.text or "").strip()
        if child.tag == "item":
            out.setdefault("item", []).append(value)
        else:
            out[child.tag] = value
    return out


def parse_reply(body: bytes, user_openid: str, account_gh_id: str) -> Reply | None:
    """The passive reply in ``body`` (already decrypted), or None for "no reply" (empty or success)."""
    if body.strip() in (b"", b"success"):
        return None
    xml = parse_xml(body)
    msg_type = str(xml.get("MsgType", "")).lower()
    if msg_type not in REPLY_TYPES:
        raise AbnormalReply(f"unknown reply type {msg_type!r}")
    to_user, from_user = xml.get("ToUserName"), xml.get("FromUserName")
    if to_user != user_openid or from_user != account_gh_id:
        raise AbnormalReply("a reply may only go back to the user who wrote, from this account")
    fields = {k: v for k, v in xml.items() if k not in ("ToUserName", "FromUserName", "CreateTime", "MsgType")}
    if msg_type == "text" and not isinstance(fields.get("Content"), str):
        raise AbnormalReply("a text reply needs its Content")
    if msg_type == "news":
        articles = fields.get("Articles", {}).get("item", []) if isinstance(fields.get("Articles"), dict) else []
        if not articles or not all(isinstance(a, dict) for a in articles):
            raise AbnormalReply("a news reply needs its Articles")
        fields = {"Articles": articles[:MAX_ARTICLES]}
    return Reply(msg_type, to_user, from_user, fields)
