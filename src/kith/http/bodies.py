"""Request bodies: what kind a route takes, how it is read, and how large it may be.

Each route declares its body kind and its limit (``Endpoint.body_kind``, ``Endpoint.max_body``;
the limit defaults to the ``max_body_bytes`` setting). A body kind checks the media type, reads
the body within the limit and turns it into what the handler gets. The limit holds for every
kind: a declared Content-Length over it is refused before a byte is read (also on routes that
take no body), and a chunked body is counted as it arrives.

JSON is the only kind today. Another one (a streamed multipart upload, an XML message) is one
more class with the members of ``BodyKind``, named by the routes that take it; no other route
changes. A streaming kind would hand the handler an iterator rather than reading it all here.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import AsyncIterator
from typing import Any, Protocol

import msgspec
from starlette.requests import ClientDisconnect, Request

from kith import errors


class UnsupportedMediaType(errors.DomainError):
    default_code = "unsupported_media_type"


class BodyKind(Protocol):
    media_type: str  # what the OpenAPI document and the 415 answer name

    def check(self, request: Request) -> None:
        """Refuse, before reading, a request whose headers say it is not this kind."""

    async def read(self, request: Request, body_type: type, limit: int) -> Any:
        """What the handler gets: the decoded body (or, for a streaming kind, a stream of it)."""


def declared_length(request: Request, limit: int) -> int | None:
    """The Content-Length, refused if it is malformed or over ``limit``; None for a chunked body or none."""
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    if not declared.isdigit():
        raise errors.Invalid("content-length must be a number")
    if int(declared) > limit:
        raise errors.TooLarge(f"request body must be at most {limit} bytes", limit=limit)
    return int(declared)


def has_body(request: Request) -> bool:
    return request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers


async def stream(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive, refused with TooLarge as soon as they add up to more than ``limit``."""
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise errors.TooLarge(f"request body must be at most {limit} bytes", limit=limit)
            yield chunk
    except ClientDisconnect:  # the body ended before its declared length: nobody is left to answer
        raise errors.Invalid("the request body ended early", "incomplete_body") from None


async def read_all(request: Request, limit: int) -> bytes:
    return b"".join([chunk async for chunk in stream(request, limit)])


# -- JSON ------------------------------------------------------------------------------------------------

_JSON_TYPE = re.compile(r"\s*application/json\s*(?:;\s*charset\s*=\s*\"?utf-8\"?\s*)?", re.IGNORECASE)
_TOP_KEYS = msgspec.json.Decoder(dict[str, msgspec.Raw])


class Json:
    """A JSON document (``application/json``, UTF-8) decoded into the route's msgspec Struct.

    Only a JSON Content-Type is accepted, so a plain cross-site form (``text/plain``,
    ``application/x-www-form-urlencoded``, ``multipart/form-data``) or a typeless cross-site fetch
    cannot reach a route. Duplicate keys are refused: which of two values would count is not
    something a client should have to guess.
    """

    media_type = "application/json"

    def check(self, request: Request) -> None:
        content_type = request.headers.get("content-type")
        if content_type is None and not has_body(request):
            return  # no body at all: answered as a missing body
        if content_type is None or not _JSON_TYPE.fullmatch(content_type):
            raise UnsupportedMediaType(
                "the body must be JSON, sent with Content-Type: application/json",
                media_type=self.media_type,
            )

    async def read(self, request: Request, body_type: type, limit: int) -> Any:
        return decode_json(await read_all(request, limit), body_type)


JSON = Json()


def decode_json(raw: bytes, body_type: type) -> Any:
    if not raw.strip():
        raise errors.Invalid("a JSON body is required", "missing_body")
    try:
        body: Any = msgspec.json.decode(raw, type=body_type)
    except UnicodeDecodeError:
        raise errors.Invalid("the body is not valid UTF-8", "invalid_json") from None
    except msgspec.ValidationError as exc:
        raise invalid(exc, "invalid body") from None
    except msgspec.DecodeError as exc:
        raise errors.Invalid(f"the body is not valid JSON: {exc}", "invalid_json") from None
    if _may_repeat_a_key(raw, body_type):
        json.loads(raw, object_pairs_hook=_refuse_duplicates)
    return body


def _may_repeat_a_key(raw: bytes, body_type: type) -> bool:
    """False only if no object of this JSON document (already decoded as ``body_type``) repeats a key.

    Every key is followed by a colon, so a document has at least as many colons as keys, and more
    colons than its top-level object has distinct keys if any object repeats one. The distinct
    keys are at least the type's required fields (the document was decoded), so most bodies are
    cleared by counting colons; else the top-level keys are read without decoding the values;
    else (a colon in a text, nested objects) a full parse decides.
    """
    colons = raw.count(b":")
    if colons <= max(1, _required_fields(body_type)):
        return False
    try:
        return colons > len(_TOP_KEYS.decode(raw))
    except (msgspec.DecodeError, msgspec.ValidationError):  # not an object at the top
        return True


@functools.cache
def _required_fields(body_type: type) -> int:
    if isinstance(body_type, type) and issubclass(body_type, msgspec.Struct):
        return sum(f.required for f in msgspec.structs.fields(body_type))
    return 0


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen = dict(pairs)
    if len(seen) != len(pairs):
        names = [name for name, _ in pairs]
        repeated = next(name for name in names if names.count(name) > 1)
        raise errors.Invalid(f"the key {repeated!r} appears more than once", "duplicate_key", field=repeated)
    return seen


def _field_of(message: str) -> str | None:
    # msgspec ends its messages with "- at `$.field`" or "- at `$.field[0]`"
    if "- at `$." in message:
        return message.rsplit("- at `$.", 1)[1].rstrip("`").split("[")[0].split(".")[0]
    return None


def invalid(exc: Exception, what: str) -> errors.Invalid:
    message = str(exc)
    field_name = _field_of(message)
    fields = {"field": field_name} if field_name else {}
    return errors.Invalid(f"{what}: {message}", **fields)
