"""The OpenAPI document says what the server does, against a real server: the limits it states are
the ones enforced (a value at the limit is accepted, one past it refused), settings flow into it,
every route documents its errors in the one shape, and what the schemathesis run found stays fixed.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from helpers import Server, User, befriend, direct, register

from kith.http.routes import ENDPOINTS

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class World:
    server: Server
    doc: dict[str, Any]
    me: User
    pal: User
    chat: int


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(shared_server: Server) -> AsyncIterator[World]:
    me, pal = await register(shared_server, "doc_me"), await register(shared_server, "doc_pal")
    await befriend(me, pal)
    chat = await direct(me, pal)
    async with httpx.AsyncClient(base_url=shared_server.url) as anon:
        doc = (await anon.get("/openapi.json")).json()
    yield World(shared_server, doc, me, pal, chat)
    await me.aclose()
    await pal.aclose()


def field_schema(doc: dict[str, Any], struct: str, field: str) -> dict[str, Any]:
    schema = doc["components"]["schemas"][struct]["properties"][field]
    return next((c for c in schema.get("anyOf", [schema]) if c.get("type") == "string"), schema)


# (body struct, field, method, path, the rest of the body): each field is tried at its stated
# maxLength and one past it
LENGTHS = [
    ("ProfileIn", "display_name", "PATCH", "/me", {}),
    ("ProfileIn", "status", "PATCH", "/me", {}),
    ("RemarkIn", "remark", "PATCH", "/friends/{pal}", {}),
    ("GroupUpdateIn", "name", "PATCH", "/conversations/{group}", {}),
    ("RequestIn", "greeting", "POST", "/friend-requests", {"handle": "doc_stranger"}),
    ("RegisterIn", "password", "POST", "/accounts", {"handle": "doc_long_pw", "display_name": "x"}),
]


@pytest.mark.parametrize(
    ("struct", "field", "method", "path", "rest"), LENGTHS, ids=[f"{s}.{f}" for s, f, *_ in LENGTHS]
)
async def test_a_stated_length_is_the_enforced_one(
    world: World, struct: str, field: str, method: str, path: str, rest: dict[str, Any]
) -> None:
    limit = field_schema(world.doc, struct, field)["maxLength"]
    stranger = await register(world.server, "doc_stranger") if field == "greeting" else None
    group = await world.me.ok("POST", "/conversations/groups", json={"user_ids": [world.pal.id]})
    path = path.format(pal=world.pal.id, group=group["id"])
    over = await world.me.call(method, path, json={**rest, field: "x" * (limit + 1)})
    assert over.status_code == 400 and over.json()["error"]["field"] == field, over.text
    # a password must be strong too: random characters, as many as allowed
    filler = (secrets.token_urlsafe(limit) * 2)[:limit] if field == "password" else "x" * limit
    at = await world.me.call(method, path, json={**rest, field: filler})
    assert at.status_code < 300, at.text
    if stranger is not None:
        await stranger.aclose()


async def test_the_stated_ranges_are_the_enforced_ones(world: World) -> None:
    read = world.doc["components"]["schemas"]["ReadIn"]["properties"]["seq"]
    top = await world.me.call("POST", f"/conversations/{world.chat}/read", json={"seq": read["maximum"]})
    assert top.status_code == 200, top.text
    past = await world.me.call("POST", f"/conversations/{world.chat}/read", json={"seq": read["maximum"] + 1})
    assert past.status_code == 400 and past.json()["error"]["field"] == "seq"
    limit = next(
        p["schema"]["maximum"] for p in world.doc["paths"]["/api/v1/sync"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert (await world.me.call("GET", "/sync", params={"limit": limit})).status_code == 200
    assert (await world.me.call("GET", "/sync", params={"limit": limit + 1})).status_code == 400


async def test_settings_flow_into_the_document(make_server: Callable[..., Server]) -> None:
    server = make_server(env={"KITH_HISTORY_PAGE_MAX": "17", "KITH_MAX_TEXT_BYTES": "400"})
    async with httpx.AsyncClient(base_url=server.url) as anon:
        doc = (await anon.get("/openapi.json")).json()
    history = doc["paths"]["/api/v1/conversations/{conversation_id}/messages"]["get"]["parameters"]
    assert next(p for p in history if p["name"] == "limit")["schema"]["maximum"] == 17
    text = doc["components"]["schemas"]["SendIn"]["properties"]["text"]
    assert next(s for s in text.get("anyOf", [text]) if s.get("type") == "string")["maxLength"] == 100
    assert "x-kith-setting" not in str(doc)


async def test_every_route_documents_its_errors_in_the_one_shape(world: World) -> None:
    for e in ENDPOINTS:
        path = e.path.replace(":int", "")
        op = world.doc["paths"][path][e.method.lower()]
        errors = {int(s): r for s, r in op["responses"].items() if int(s) >= 400}
        expected = set(e.errors) | ({401} if e.auth else set())
        expected |= {400, 413, 415} if e.body is not None else set()
        expected |= {400} if e.query is not None else set()
        expected |= {404} if "{" in path else set()
        assert set(errors) == expected, path
        for response in errors.values():
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


async def test_operation_ids_are_unique(world: World) -> None:
    ids = [op["operationId"] for ops in world.doc["paths"].values() for op in ops.values() if "operationId" in op]
    assert len(ids) == len(ENDPOINTS) and len(set(ids)) == len(ids)
    assert {"chats_search", "platform_search", "send", "sign_out"} <= set(ids)


# -- what the schemathesis run found -------------------------------------------------------------------


async def test_a_resend_answers_a_documented_200(world: World) -> None:
    send = world.doc["paths"]["/api/v1/conversations/{conversation_id}/messages"]["post"]["responses"]
    assert send["200"]["content"] == send["201"]["content"]
    body = {"id": "resend-1", "text": "once"}
    first = await world.me.call("POST", f"/conversations/{world.chat}/messages", json=body)
    again = await world.me.call("POST", f"/conversations/{world.chat}/messages", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "duplicate": True}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/conversations/null/messages"),
        ("POST", "/api/v1/conversations/1/messages/1.5/recall"),
        ("PATCH", "/api/v1/friends/abc"),
        ("DELETE", "/api/v1/no-such-thing"),
        ("PUT", "/api/v1/blocks/-1"),
    ],
)
async def test_an_api_path_no_route_matches_is_404_whatever_the_method(world: World, method: str, path: str) -> None:
    # it used to fall through to the web client's files, which answer 405 to anything but GET
    response = await world.me.http.request(method, path, json={})
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
