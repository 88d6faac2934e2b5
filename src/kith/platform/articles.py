"""Articles (WeChat's ``mpnews``): what an official account publishes to be read inside kith.

An account uploads a set of up to 8 articles (``media/uploadnews``, ``material/add_news``,
``draft/add``) and sends it by its media id in a mass send or a customer-service message. Followers
get cards whose cover pictures and pages kith serves itself: reading an article loads nothing from
the publisher's or anyone's site, so a publisher learns nothing about who reads what.

The HTML is cleaned once, at upload, by nh3 (ammonia) to a small set of tags: text structure, links
(http(s) only, opened in a new tab, ``noopener noreferrer nofollow``) and pictures, and only pictures
the account's owner uploaded to kith (``media/uploadimg`` answers their address). Styles, scripts,
frames, forms and event handlers never survive, so the web client can show the page as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import nh3

from kith.platform.models import MAX_URL, WeChatError

MAX_ARTICLES = 8
MAX_TITLE, MAX_AUTHOR, MAX_DIGEST = 64, 32, 120  # characters, as WeChat counts them
MAX_CONTENT = 20_000  # characters of cleaned HTML
DIGEST_FROM_TEXT = 54  # a missing digest is the start of the text, as WeChat makes it
TEMPORARY_DAYS = 3  # an uploadnews set can be sent this long; once sent it stays readable
PAGE = re.compile(r"\A([A-Za-z0-9_-]{22})/([0-7])\Z")  # a card's page: "<news media id>/<index>"

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small",
    "blockquote", "pre", "code", "ul", "ol", "li", "a", "img", "figure", "figcaption", "span", "section",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "td": {"colspan", "rowspan"},
               "th": {"colspan", "rowspan"}}  # fmt: skip
# a picture in an article: an upload of the owner's, by kith's address for it (absolute or not)
_PICTURE = re.compile(r"\A(?:https?://[^/]+)?/api/v1/media/([A-Za-z0-9_-]{22})\Z")
_BLOCK = re.compile(r"</?(?:p|br|hr|h[1-4]|li|t[dhr]|blockquote|pre|section|figure|figcaption|[uo]l|table)\b[^>]*>")
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Cleaned:
    articles: list[dict[str, Any]]
    pictures: list[str]  # media ids: every cover and every picture in the HTML, each once


def clean(raw: Any, *, draft: bool = False) -> Cleaned:
    """Check and clean an upload's ``articles``; what is wrong is a ``WeChatError`` with WeChat's code.
    (Whether the pictures are the owner's uploads is for the caller to check, in its transaction.)"""
    if not isinstance(raw, list) or not raw:
        raise WeChatError(44003, "empty news data: give 1 to 8 articles")
    if len(raw) > MAX_ARTICLES:
        raise WeChatError(45008, f"article size out of limit: at most {MAX_ARTICLES}")
    pictures: list[str] = []
    out = []
    for article in raw:
        if not isinstance(article, dict):
            raise WeChatError(40035, "invalid article: each is a JSON object")
        title = _text(article, "title", MAX_TITLE, 45003, required=True)
        author = _text(article, "author", MAX_AUTHOR, 45110)
        digest = _text(article, "digest", MAX_DIGEST, 45004)
        thumb = article.get("thumb_media_id")
        if not isinstance(thumb, str) or not thumb:
            raise WeChatError(40007, "invalid media_id: each article needs its thumb_media_id (an image)")
        content = article.get("content")
        if not isinstance(content, str) or not content.strip():
            raise WeChatError(44004, "empty content: each article needs its content")
        found: list[str] = []
        html = _clean(content, found)
        if not html.strip():
            raise WeChatError(44004, "empty content: nothing of it is left once cleaned")
        if len(html) > MAX_CONTENT:
            raise WeChatError(45002, f"content size out of limit: at most {MAX_CONTENT} characters of HTML")
        source = article.get("content_source_url") or ""
        if source and (
            not isinstance(source, str) or urlsplit(source).scheme not in ("http", "https") or len(source) > MAX_URL
        ):
            raise WeChatError(40035, "content_source_url must be an http:// or https:// address")
        show_cover = article.get("show_cover_pic", 0 if draft else 1)
        text = " ".join(unescape(_TAG.sub("", _BLOCK.sub(" ", html))).split())
        out.append({
            "title": title, "author": author, "digest": digest or text[:DIGEST_FROM_TEXT], "content": html,
            "content_source_url": source, "thumb_media_id": thumb, "show_cover_pic": 1 if show_cover else 0,
        })  # fmt: skip
        for media_id in (thumb, *found):
            if media_id not in pictures:
                pictures.append(media_id)
    return Cleaned(out, pictures)


def _text(article: dict[str, Any], key: str, limit: int, errcode: int, *, required: bool = False) -> str:
    value = article.get(key)
    if value is None or value == "":
        if required:
            raise WeChatError(44003, f"each article needs its {key}")
        return ""
    if not isinstance(value, str):
        raise WeChatError(40035, f"an article's {key} must be a string")
    value = " ".join(value.split())
    if required and not value:
        raise WeChatError(44003, f"each article needs its {key}")
    if len(value) > limit:
        raise WeChatError(errcode, f"{key} size out of limit: at most {limit} characters")
    return value


def _clean(content: str, found: list[str]) -> str:
    """The HTML kept of ``content``; the media ids of its pictures are added to ``found``."""

    def attribute(tag: str, name: str, value: str) -> str | None:
        if tag == "img" and name == "src":
            match = _PICTURE.match(value)
            if match is None:
                return None  # a picture from elsewhere would tell its site who reads: dropped
            found.append(match.group(1))
            return f"/api/v1/media/{match.group(1)}"
        return value

    return nh3.clean(
        content, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow", set_tag_attribute_values={"a": {"target": "_blank"}},
        attribute_filter=attribute,
    )  # fmt: skip


def cards(media_id: str, articles: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A news message's cards for a set: each opens its page in kith, with its cover as picture
    (an article deleted from the set has none)."""
    return [
        {"title": a["title"], "description": a["digest"], "url": "", "picurl": "", "picture": a["thumb_media_id"],
         "page": f"{media_id}/{index}"}
        for index, a in enumerate(articles)
        if not a.get("deleted")
    ]  # fmt: skip


def sets_in(cards_: list[dict[str, Any]]) -> set[str]:
    """The article sets a news message's cards open."""
    return {m.group(1) for c in cards_ if (m := PAGE.match(c.get("page") or ""))}


def as_news_item(articles: list[dict[str, Any]], base_url: str, media_id: str) -> list[dict[str, Any]]:
    """The set as ``material/get_material`` answers it (``news_item``)."""
    return [
        {**{k: a[k] for k in ("title", "author", "digest", "content", "content_source_url", "thumb_media_id",
                              "show_cover_pic")},
         "url": f"{base_url}/#/articles/{media_id}/{index}"}
        for index, a in enumerate(articles)
    ]  # fmt: skip
