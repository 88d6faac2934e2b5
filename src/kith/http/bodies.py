"""Request bodies: what kind a route takes, how it is read, and how large it may be.

Each route declares its body kind and its limit (``Endpoint.body_kind``, ``Endpoint.max_body``;
the limit defaults to the ``max_body_bytes`` setting). A body kind checks the media type, reads
the body within the limit and turns it into what the handler gets. The limit holds for every
kind: a declared Content-Length over it is refused before a byte is read (also on routes that
take no body), and a chunked body is counted as it arrives.

Two kinds exist: JSON, read whole and decoded, and ``UPLOAD``, a file streamed to the handler as
it arrives (multipart or raw). Another one (an XML message) is one more class with the members of
``BodyKind``, named by the routes that take it; no other route changes.
"""

from __future__ import annotations

import collections
import functools
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec
from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header
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


# -- uploads ---------------------------------------------------------------------------------------


@dataclass
class Upload:
    """What an upload route's handler gets: the file's bytes as they arrive (never all at once),
    the small form fields sent before it, and the file name the client gave."""

    chunks: AsyncIterator[bytes]
    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    declared: int | None = None  # a raw body's Content-Length, if any: the file's size, for refusing early


MAX_FIELD_BYTES = 1024
FILE_FIELD = "file"
FORM_FIELDS = ("kind", "name")  # the small fields an upload's form may have besides the file


class Uploads:
    """A file: either ``multipart/form-data`` with one part named ``file`` (small fields such as
    ``kind`` and ``name`` may come before it), or the raw bytes with any other Content-Type.

    Multipart is parsed as it streams (python-multipart's push parser): the handler starts
    receiving the file's bytes as soon as its part begins, and at most one network chunk of it is
    held at a time.
    """

    media_type = "multipart/form-data"
    alternatives = {"application/octet-stream": {"type": "string", "format": "binary"}}  # the raw bytes

    def __init__(self, file_field: str = FILE_FIELD, form_fields: tuple[str, ...] = FORM_FIELDS) -> None:
        self.file_field = file_field
        self.form_fields = form_fields

    def check(self, request: Request) -> None:
        content_type = request.headers.get("content-type", "")
        if content_type.lower().startswith("multipart/") and not _boundary(content_type):
            raise errors.Invalid("a multipart body needs a boundary in its Content-Type", "invalid_multipart")

    async def read(self, request: Request, body_type: type, limit: int) -> Upload:
        content_type = request.headers.get("content-type", "")
        declared = declared_length(request, limit)
        boundary = _boundary(content_type) if content_type.lower().startswith("multipart/") else None
        if boundary is None:
            return Upload(stream(request, limit), declared=declared)
        return await _MultipartUpload(stream(request, limit), boundary, self.file_field, self.form_fields).start()


UPLOAD = Uploads()


def _boundary(content_type: str) -> bytes | None:
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    return boundary if kind == b"multipart/form-data" and boundary and len(boundary) <= 200 else None


class _MultipartUpload:
    """Drives a push parser over the body: form fields are gathered until the file part begins,
    then the file's data is handed on chunk by chunk."""

    def __init__(
        self, source: AsyncIterator[bytes], boundary: bytes, file_field: str, form_fields: tuple[str, ...]
    ) -> None:
        self.source = source
        self.file_field = file_field
        self.form_fields = form_fields
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.pending: collections.deque[bytes] = collections.deque()
        self.in_file = self.file_done = self.ended = False
        self._name = ""
        self._headers: dict[bytes, bytes] = {}
        self._header = b""
        self._value = bytearray()
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )

    async def start(self) -> Upload:
        while not self.in_file:
            if not await self._feed():
                raise errors.Invalid(f"the multipart body has no part named {self.file_field!r}", "missing_body")
        return Upload(self._file_chunks(), self.fields, self.filename)

    async def _feed(self) -> bool:
        """Parse one more chunk of the body; False once it has ended."""
        try:
            chunk = await anext(self.source)
        except StopAsyncIteration:
            return False
        try:
            self.parser.write(chunk)
        except MultipartParseError as exc:
            raise errors.Invalid(f"the multipart body does not parse: {exc}", "invalid_multipart") from None
        return True

    async def _file_chunks(self) -> AsyncIterator[bytes]:
        while True:
            while self.pending:
                yield self.pending.popleft()
            if self.file_done:
                break
            if not await self._feed():
                raise errors.Invalid("the multipart body ended inside the file", "invalid_multipart")
        while await self._feed():  # the rest: only the closing boundary, or fields that come too late
            pass
        if not self.ended:
            raise errors.Invalid("the multipart body has no closing boundary", "invalid_multipart")

    # parser callbacks
    def _part_begin(self) -> None:
        self._headers = {}
        self._value = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        key = self._header.lower()
        self._headers[key] = self._headers.get(key, b"") + data[start:end]

    def _header_end(self) -> None:
        self._header = b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if disposition != b"form-data" or not name:
            raise errors.Invalid("every part needs Content-Disposition: form-data; name=...", "invalid_multipart")
        if self.file_done:
            raise errors.Invalid("fields must come before the file part", "invalid_multipart", field=name)
        self._name = name
        if name != self.file_field and name not in self.form_fields:
            raise errors.Invalid(f"unknown form field {name!r}", "unknown_field", field=name)
        if name == self.file_field:
            if self.in_file:
                raise errors.Invalid("one file per upload", "invalid_multipart")
            self.in_file = True
            raw = options.get(b"filename")
            try:
                self.filename = raw.decode("utf-8") if raw is not None else None
            except UnicodeDecodeError:
                raise errors.Invalid("the file name is not UTF-8", "invalid_name", field="name") from None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._name == self.file_field:
            self.pending.append(data[start:end])
            return
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD_BYTES:
            raise errors.Invalid(f"a form field may be at most {MAX_FIELD_BYTES} bytes", field=self._name)

    def _part_end(self) -> None:
        if self._name == self.file_field:
            self.file_done = True
            return
        if self._name in self.fields:
            raise errors.Invalid(f"the field {self._name!r} appears more than once", "duplicate_key", field=self._name)
        try:
            self.fields[self._name] = self._value.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.Invalid("form fields must be UTF-8", field=self._name) from None

    def _end(self) -> None:
        self.ended = True
