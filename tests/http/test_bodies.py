"""Request bodies in-process: per-route limits and kinds, and the duplicate-key check of JSON bodies."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request

from kith import errors
from kith.clock import SystemClock
from kith.http.bodies import JSON, decode_json, read_all
from kith.http.endpoint import Call, Endpoint, make_routes
from kith.ratelimit import from_settings
from kith.settings import Settings


class Note(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class PlainText:
    """A body kind of the test's own: what adding one (an upload, XML) takes, and all it takes."""

    media_type = "text/plain"

    def check(self, request: Request) -> None:
        if not request.headers.get("content-type", "").startswith("text/plain"):
            raise errors.Invalid("send text/plain")

    async def read(self, request: Request, body_type: type, limit: int) -> Any:
        return body_type((await read_all(request, limit)).decode())


async def echo(call: Call) -> Any:
    return {"text": call.body.text}


ENDPOINTS = (
    Endpoint("POST", "/small", echo, "a 20-byte route", "t", body=Note, auth=False, max_body=20),
    Endpoint("POST", "/default", echo, "the default limit", "t", body=Note, auth=False),
    Endpoint("POST", "/text", echo, "a text body", "t", body=Note, auth=False, body_kind=PlainText()),
)


@pytest.fixture
async def client() -> Any:
    services = SimpleNamespace(limits=from_settings(Settings(), SystemClock()))  # the routes here use none
    app = Starlette(routes=make_routes(ENDPOINTS, services=services, max_body=100))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://kith") as c:
        yield c


async def _chunks(body: bytes) -> Any:
    for i in range(0, len(body), 7):
        yield body[i : i + 7]


async def test_each_route_has_its_own_limit(client: httpx.AsyncClient) -> None:
    fits, over = b'{"text": "12345678"}', b'{"text": "' + b"x" * 30 + b'"}'
    assert len(fits) == 20
    assert (await client.post("/small", content=fits, headers={"content-type": "application/json"})).status_code == 200
    for content in (over, _chunks(over)):
        response = await client.post("/small", content=content, headers={"content-type": "application/json"})
        assert response.status_code == 413, response.text
        assert response.json()["error"]["limit"] == 20
    # the other route keeps the default (100 here)
    response = await client.post("/default", content=over, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


async def test_a_route_of_another_kind_reads_its_own_media_type(client: httpx.AsyncClient) -> None:
    response = await client.post("/text", content=b"hello", headers={"content-type": "text/plain"})
    assert response.json() == {"text": "hello"}
    response = await client.post("/text", content=b'{"text": "hi"}', headers={"content-type": "application/json"})
    assert response.status_code == 400
    response = await client.post("/default", content=b"hello", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["error"] == {
        "code": "unsupported_media_type",
        "message": response.json()["error"]["message"],
        "media_type": JSON.media_type,
    }


# -- duplicate keys: refused exactly when some object repeats a key, however it is written ----------------

KEYS = st.sampled_from(["a", "b", "é", '"', "\\", 'a"b', "\u2028", "k:", ""])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), KEYS, st.text(max_size=5))


def _tree() -> st.SearchStrategy[Any]:
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.lists(st.tuples(KEYS, inner), max_size=4).map(lambda pairs: ("object", pairs)),
        ),
        max_leaves=12,
    )


def _render(node: Any, ascii_flags: st.DataObject) -> str:
    def string(text: str) -> str:
        return json.dumps(text, ensure_ascii=ascii_flags.draw(st.booleans()))

    space = ascii_flags.draw(st.sampled_from(["", " ", "\n\t"]))
    if isinstance(node, tuple) and node and node[0] == "object":
        return "{" + ",".join(f"{string(k)}{space}:{space}{_render(v, ascii_flags)}" for k, v in node[1]) + "}"
    if isinstance(node, list):
        return "[" + f",{space}".join(_render(v, ascii_flags) for v in node) + "]"
    return string(node) if isinstance(node, str) else json.dumps(node)


def _repeats(node: Any) -> bool:
    if isinstance(node, tuple) and node and node[0] == "object":
        keys = [k for k, _ in node[1]]
        return len(set(keys)) != len(keys) or any(_repeats(v) for _, v in node[1])
    if isinstance(node, list):
        return any(_repeats(v) for v in node)
    return False


@settings(max_examples=400, deadline=None)
@given(tree=_tree(), data=st.data())
def test_duplicate_keys_are_refused_wherever_and_however_written(tree: Any, data: st.DataObject) -> None:
    raw = ("{" + '"top": ' + _render(tree, data) + "}").encode()
    if _repeats(tree):
        with pytest.raises(errors.Invalid) as refused:
            decode_json(raw, Any)  # type: ignore[arg-type]
        assert refused.value.code == "duplicate_key"
    else:
        assert decode_json(raw, Any) == {"top": json.loads(_render_plain(tree))}  # type: ignore[arg-type]


def _render_plain(node: Any) -> str:
    if isinstance(node, tuple) and node and node[0] == "object":
        return "{" + ",".join(f"{json.dumps(k)}:{_render_plain(v)}" for k, v in node[1]) + "}"
    if isinstance(node, list):
        return "[" + ",".join(_render_plain(v) for v in node) + "]"
    return json.dumps(node)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1, "a": 2}',
        b'{"a": 1, "\\u0061": 2}',
        b'{"\\"": 1, "\\u0022": 2}',
        b'{"x": [{"b": 1}, {"c": {"d": 1, "d": 1}}]}',
        b'{"a" \n : 1, "b": "\\"a\\":", "a":3}',
    ],
)
def test_known_duplicates(raw: bytes) -> None:
    with pytest.raises(errors.Invalid, match="more than once"):
        decode_json(raw, Any)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "a", "b": "a"}',
        b'{"text": "\\"a\\": \\"a\\":"}',
        b'{"x": [{"a": 1}, {"a": 2}]}',  # the same key in two objects is no duplicate
        b'{"a": {"a": {"a": 1}}}',
    ],
)
def test_known_non_duplicates(raw: bytes) -> None:
    assert decode_json(raw, Any) == json.loads(raw)  # type: ignore[arg-type]
