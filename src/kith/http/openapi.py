"""The OpenAPI document, generated from the route table.

Bodies, queries and responses come from the routes' msgspec types, with the limits their fields
state (``kith.http.api.fields``; settings filled in from the server's ``Settings``) and what they
mean: the descriptions on their annotations, and for the domains' own types the table in
``kith.http.api.descriptions``. Every route documents its errors in the one shape, ``Error``: those
its declaration implies (a bad body or query is 400, an oversized body 413, an id in the path that
names nothing 404, a missing sign-in 401) and those it declares. Each operation shows the exchange
recorded for it from a real server (``examples.json``, made by scripts/record-examples).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from typing import Any

import msgspec

from kith import __version__, validation
from kith.http.api.descriptions import FIELDS
from kith.http.api.fields import SETTING
from kith.http.endpoint import Endpoint
from kith.settings import Settings

_ERROR = {
    "type": "object",
    "description": "Every error: a stable code, a message for people, and sometimes fields that say more.",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "description": "The error",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "minLength": 1,
                    "description": "What went wrong, as a stable word for programs (e.g. `not_found`, `too_large`)",
                },
                "message": {"type": "string", "minLength": 1, "description": "What went wrong, for people"},
                "field": {"type": "string", "description": "The input the error is about"},
                "limit": {"type": "integer", "description": "The limit that was exceeded"},
                "retry_after": {"type": "integer", "description": "Seconds to wait before trying again"},
                "user_ids": {"type": "array", "items": {"type": "integer"}, "description": "The users refused"},
            },
        }
    },
}
_ERROR_TEXT = {
    400: "Invalid input",
    401: "Not signed in, or the session has ended",
    403: "Not allowed",
    404: "Not found (or not yours to see)",
    409: "Conflicts with the current state",
    413: "Too large",
    415: "The body is not of the route's media type",
    429: "Too many attempts; see Retry-After",
}


# a path parameter that is not a number: a media id (128 random bits, URL-safe base64)
_TOKEN = {"type": "string", "pattern": "^[A-Za-z0-9_-]{22}$"}
# what each path parameter names (the routes use these names, and no other)
PATH_PARAMETERS = {
    "account_id": "The official account's id",
    "comment_id": "The comment's id",
    "conversation_id": "The conversation's id",
    "device_id": "The device's id (GET /api/v1/me/devices lists them)",
    "link_id": "The invite link's id (GET /api/v1/conversations/{conversation_id}/invite-links lists them)",
    "media_id": "The media id (22 URL-safe characters)",
    "post_id": "The post's id",
    "request_id": "The friend request's id",
    "seq": "The message's seq in the conversation",
    "user_id": "The user's id",
}


def _describe(components: dict[str, Any], types: list[Any]) -> None:
    """Each property's description: the domain types' from ``FIELDS``, and the others' hoisted out of
    ``anyOf`` (an optional field's type carries it on the branch that is not null) to the property."""
    named = {t.__name__ if t.__name__ in components else f"{t.__module__}.{t.__qualname__}": t for t in types}
    for name, schema in components.items():
        t = named.get(name)
        table = FIELDS.get(t, {}) if t is not None else {}
        for field, prop in schema.get("properties", {}).items():
            described = [c.pop("description") for c in prop.get("anyOf", ()) if "description" in c]
            if field in table:
                prop["description"] = table[field]
            elif described and "description" not in prop:
                prop["description"] = described[0]


def struct_types(roots: list[Any]) -> list[Any]:
    """Every Struct type the ``roots`` reach, themselves too."""
    found: dict[Any, None] = {}

    def walk(info: Any) -> None:
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls in found:
                return
            found[info.cls] = None
            for f in info.fields:
                walk(f.type)
            return
        for attr in ("type", "item_type", "key_type", "value_type", "types", "item_types"):
            value = getattr(info, attr, None)
            for child in value if isinstance(value, tuple) else (value,) if value is not None else ():
                walk(child)

    for info in msgspec.inspect.multi_type_info(roots):
        walk(info)
    return list(found)


def _settle(schema: Any, settings: Settings) -> Any:
    """``schema`` with every ``SETTING`` placeholder replaced by the setting's value."""
    if isinstance(schema, list):
        return [_settle(s, settings) for s in schema]
    if not isinstance(schema, dict):
        return schema
    settled = {k: _settle(v, settings) for k, v in schema.items() if k != SETTING}
    for keyword, (name, divisor) in schema.get(SETTING, {}).items():
        settled[keyword] = getattr(settings, name) // divisor
    return settled


def error_statuses(e: Endpoint) -> list[int]:
    """The statuses of the errors a route may answer: implied by its declaration, and declared."""
    implied = set(e.errors)
    if e.auth:
        implied.add(401)
    if e.body is not None or e.query is not None:
        implied.add(400)
    if e.body is not None:
        implied.update((413, 415))
    if "{" in e.path:
        implied.add(404)
    return sorted(implied)


def load_examples() -> dict[str, Any]:
    """The exchanges recorded from a real server (``examples.json``, made by scripts/record-examples)."""
    return json.loads(resources.files("kith.http").joinpath("examples.json").read_text())  # type: ignore[no-any-return]


def _exemplify(op: dict[str, Any], recorded: dict[str, Any] | None) -> None:
    """Put an operation's recorded exchange into it: each parameter's value, the body, each answer."""
    if not recorded:
        return
    for param in op.get("parameters", ()):
        if param["name"] in recorded.get(param["in"], {}):
            param["example"] = recorded[param["in"]][param["name"]]
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None and "body" in recorded:
        body["example"] = recorded["body"]
    for status, said in recorded["responses"].items():
        content = op["responses"].get(status, {}).get("content", {}).get("application/json")
        if content is not None and said is not None:
            content["example"] = said


def build(
    endpoints: tuple[Endpoint, ...],
    extra_paths: dict[str, Any] | None = None,
    settings: Settings | None = None,
    examples: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The document; ``examples``: the recorded exchanges (default: those the server ships)."""
    settings = settings or Settings()
    recorded = load_examples() if examples is None else examples
    types: list[Any] = []
    for e in endpoints:
        types += [t for t in (e.body, e.query, e.response) if t is not None and t is not bytes]
    schemas, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    by_type = dict(zip(types, schemas, strict=True))
    for t in types:
        if getattr(t, "schema_extra", None):
            components[t.__name__].update(t.schema_extra)
    components = _settle(components, settings)
    _describe(components, struct_types(types))
    components["Error"] = {**_ERROR, **({"examples": [recorded["error"]]} if "error" in recorded else {})}
    paths: dict[str, Any] = {}
    names = Counter(e.handler.__name__ for e in endpoints)
    for e in endpoints:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", e.path)
        # the handler's name; where two share one (each module has its `search`), with its module's
        name = e.handler.__name__
        operation_id = name if names[name] == 1 else f"{e.handler.__module__.rpartition('.')[2]}_{name}"
        op: dict[str, Any] = {"summary": e.summary, "tags": [e.tag], "operationId": operation_id}
        id_range = {"type": "integer", "minimum": 1, "maximum": validation.MAX_ID}
        convertors = dict(re.findall(r"\{(\w+)(?::(\w+))?\}", e.path))
        params = [
            {
                "name": n,
                "in": "path",
                "required": True,
                **({"description": PATH_PARAMETERS[n]} if n in PATH_PARAMETERS else {}),
                "schema": id_range if kind == "int" else _TOKEN,
            }
            for n, kind in convertors.items()
        ]
        if e.query is not None:
            for f in msgspec.structs.fields(e.query):
                schema = _settle(msgspec.json.schema(f.type), settings)
                # a query parameter is given or left out: null is not a value it can have
                said = schema.pop("description", None)
                choices = [c for c in schema.get("anyOf", ()) if c != {"type": "null"}]
                if len(choices) == 1:
                    schema = dict(choices[0])
                own = schema.pop("description", None)  # an optional parameter's type's, if it has none of its own
                said = said or own
                param = {"name": f.name, "in": "query", "required": f.required, "schema": schema}
                params.append({**param, "description": said} if said else param)
        if params:
            op["parameters"] = params
        if e.body is not None:
            op["requestBody"] = {
                "required": True,
                "description": f"At most {e.body_limit(settings.max_body_bytes, settings)} bytes.",
                "content": {
                    e.body_kind.media_type: {"schema": by_type[e.body]},
                    **{t: {"schema": s} for t, s in getattr(e.body_kind, "alternatives", {}).items()},
                },
            }

        def answer(description: str, e: Endpoint = e) -> dict[str, Any]:
            ok: dict[str, Any] = {"description": description}
            if e.response is bytes:  # a file, e.g. a zip
                ok["content"] = {e.media_type: {"schema": {"type": "string", "format": "binary"}}}
            elif e.response is not None:
                ok["content"] = {"application/json": {"schema": by_type[e.response]}}
            return ok

        done = (str(e.status), "OK") if e.response is not None else ("204", "Done, no content")
        responses: dict[str, Any] = {done[0]: answer(done[1])}
        for status, meaning in e.also:
            responses[str(status)] = answer(meaning)
        for status in error_statuses(e):
            responses[str(status)] = {
                "description": _ERROR_TEXT[status],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        op["responses"] = responses
        if e.auth:
            op["security"] = [{"bearer": []}]
        _exemplify(op, recorded["operations"].get(f"{e.method} {path}"))
        paths.setdefault(path, {})[e.method.lower()] = op
    paths.update(extra_paths or {})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kith",
            "version": __version__,
            "description": "The kith messenger API. Live events: the WebSocket at /api/v1/ws (see docs/websocket.md). "
            "Integers are written as JSON integers (`1`, not `1.0`); every error is an `Error`.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
