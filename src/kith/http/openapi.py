"""The OpenAPI document, generated from the route table."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from kith import __version__
from kith.http.endpoint import Endpoint

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
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


def build(
    endpoints: tuple[Endpoint, ...], extra_paths: dict[str, Any] | None = None, max_body: int = 64 * 1024
) -> dict[str, Any]:
    types: list[Any] = []
    for e in endpoints:
        types += [t for t in (e.body, e.query, e.response) if t is not None and t is not bytes]
    schemas, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    by_type = dict(zip(types, schemas, strict=True))
    components["Error"] = _ERROR
    paths: dict[str, Any] = {}
    for e in endpoints:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", e.path)
        op: dict[str, Any] = {"summary": e.summary, "tags": [e.tag], "operationId": e.handler.__name__}
        params = [
            {"name": n, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
            for n in re.findall(r"\{(\w+)\}", path)
        ]
        if e.query is not None:
            for f in msgspec.structs.fields(e.query):
                schema = msgspec.json.schema(f.type)
                params.append({"name": f.name, "in": "query", "required": f.required, "schema": schema})
        if params:
            op["parameters"] = params
        if e.body is not None:
            op["requestBody"] = {
                "required": True,
                "description": f"At most {e.body_limit(max_body)} bytes.",
                "content": {e.body_kind.media_type: {"schema": by_type[e.body]}},
            }
        ok: dict[str, Any] = {"description": "OK" if e.response is not None else "Done, no content"}
        if e.response is bytes:  # a file, e.g. a zip
            ok["content"] = {e.media_type: {"schema": {"type": "string", "format": "binary"}}}
        elif e.response is not None:
            ok["content"] = {"application/json": {"schema": by_type[e.response]}}
        responses: dict[str, Any] = {str(e.status if e.response is not None else 204): ok}
        for status in sorted({*e.errors, *((401,) if e.auth else ()), *((413, 415) if e.body is not None else ())}):
            responses[str(status)] = {
                "description": _ERROR_TEXT[status],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        op["responses"] = responses
        if e.auth:
            op["security"] = [{"bearer": []}]
        paths.setdefault(path, {})[e.method.lower()] = op
    paths.update(extra_paths or {})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kith",
            "version": __version__,
            "description": "The kith messenger API. Live events: the WebSocket at /api/v1/ws (see docs/websocket.md).",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
