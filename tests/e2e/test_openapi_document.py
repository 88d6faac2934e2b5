"""The OpenAPI document says what the server does, against a real server: the limits it states are
the ones enforced (a value at the limit is accepted, one past it refused), settings flow into it,
every route documents its errors in the one shape, every property and parameter says what it is,
every operation has a real example in its schema, and what the schemathesis run found stays fixed.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx
import jsonschema_rs
import msgspec
import pytest
import pytest_asyncio
from api_examples import COMMAND, DEVICE_KEY, PLACEHOLDERS, PUBLIC_KEYS, SAFE, key, success_statuses
from helpers import Server, User, befriend, direct, register

from kith.http import openapi
from kith.http.api.descriptions import FIELDS
from kith.http.endpoint import Endpoint
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


# -- descriptions ---------------------------------------------------------------------------------------

ROUTE_TYPES = [t for e in ENDPOINTS for t in (e.body, e.query, e.response) if t not in (None, bytes)]
# the domains' own values, which kith.http.api.descriptions describes
DOMAIN_TYPES = {t.__name__: t for t in openapi.struct_types(ROUTE_TYPES) if not t.__module__.startswith("kith.http")}


def where_to_describe(struct: str) -> str:
    if struct in DOMAIN_TYPES:
        return f"add it to FIELDS[{struct}] in src/kith/http/api/descriptions.py"
    return "describe it on its annotation: Annotated[<type>, Meta(description=...)] (or on the field type, fields.py)"


async def test_every_property_and_parameter_says_what_it_is(world: World) -> None:
    undescribed = []
    for name, schema in world.doc["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if not prop.get("description"):
                undescribed.append(f"{name}.{field}: {where_to_describe(name)}")
            for inner, sub in prop.get("properties", {}).items():  # Error.error
                if not sub.get("description") and name == "Error":
                    undescribed.append(f"Error.error.{inner}: in _ERROR, kith/http/openapi.py")
    for path, ops in world.doc["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", ()):
                if not param.get("description"):
                    where = "PATH_PARAMETERS in kith/http/openapi.py" if param["in"] == "path" else "its query type"
                    undescribed.append(f"{method.upper()} {path} parameter {param['name']}: describe it in {where}")
    assert undescribed == [], "properties without a description:\n" + "\n".join(undescribed)
    send = world.doc["components"]["schemas"]["SendIn"]["properties"]["id"]["description"]
    assert "idempotency key" in send and "stores nothing" in send
    assert "milliseconds since the Unix epoch" in world.doc["components"]["schemas"]["Message"]["properties"][
        "created_at"]["description"]  # fmt: skip


async def test_the_descriptions_table_names_only_real_fields() -> None:
    for t, table in FIELDS.items():
        assert t.__name__ in DOMAIN_TYPES, f"{t.__name__} is in no answer of the API: take it out of FIELDS"
        names = {f.encode_name for f in msgspec.structs.fields(t)}
        assert set(table) <= names, f"FIELDS[{t.__name__}] names fields it does not have: {set(table) - names}"


# -- examples -------------------------------------------------------------------------------------------

EXAMPLES = openapi.load_examples()


def missing_examples(endpoints: tuple[Endpoint, ...], examples: dict[str, Any]) -> list[str]:
    """What is wrong with the recorded examples for ``endpoints``, each with what to do about it."""
    recorded = examples["operations"]
    todo = f"add a step for it to story() in tests/api_examples.py, then run {COMMAND}"
    problems = [f"{key(e)} has no recorded example: {todo}" for e in endpoints if key(e) not in recorded]
    problems += [
        f"{key(e)} has no example of its {status} answer: add a step that gets one to story() in "
        f"tests/api_examples.py, then run {COMMAND}"
        for e in endpoints
        if key(e) in recorded
        for status in success_statuses(e)
        if str(status) not in recorded[key(e)]["responses"]
    ]
    routes = {key(e) for e in endpoints}
    problems += [f"{k} is no route any more: run {COMMAND}" for k in recorded if k not in routes]
    return problems


async def test_every_operation_has_a_recorded_example() -> None:
    problems = missing_examples(ENDPOINTS, EXAMPLES)
    assert problems == [], "\n".join(problems)


async def test_a_new_route_without_an_example_is_named_with_what_to_do() -> None:
    new = replace(ENDPOINTS[0], method="POST", path="/api/v1/invites/{invite_id:int}/accept")
    complete = {"operations": {key(e): {"responses": {str(s): None for s in success_statuses(e)}} for e in ENDPOINTS}}
    assert missing_examples(ENDPOINTS, complete) == []
    assert missing_examples((*ENDPOINTS, new), complete) == [
        f"POST /api/v1/invites/{{invite_id}}/accept has no recorded example: add a step for it to story() in "
        f"tests/api_examples.py, then run {COMMAND}"
    ]
    gone = {"operations": {k: v for k, v in complete["operations"].items() if k != key(ENDPOINTS[0])}}
    assert missing_examples(ENDPOINTS[1:], complete) == [f"{key(ENDPOINTS[0])} is no route any more: run {COMMAND}"]
    assert missing_examples(ENDPOINTS, gone)[0].startswith(f"{key(ENDPOINTS[0])} has no recorded example")


def strict(components: dict[str, Any]) -> dict[str, Any]:
    """The components with no property beyond those named: an example holding a field the schema
    no longer has (a rename) is as stale as one missing a required field."""
    components = copy.deepcopy(components)
    for schema in components["schemas"].values():
        if "properties" in schema:
            schema.setdefault("additionalProperties", False)
    return components


def examples_of(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example in the document."""
    found = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            found += [
                (f"{where} {p['name']}", p["schema"], p["example"]) for p in op.get("parameters", ()) if "example" in p
            ]
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                if "example" in content:
                    found.append((f"{where} body ({media})", content["schema"], content["example"]))
            for status, answer in op["responses"].items():
                for media, content in answer.get("content", {}).items():
                    if "example" in content:
                        found.append((f"{where} {status} ({media})", content["schema"], content["example"]))
    found += [
        ("Error", doc["components"]["schemas"]["Error"], e) for e in doc["components"]["schemas"]["Error"]["examples"]
    ]
    return found


def invalid(schema: dict[str, Any], components: dict[str, Any], value: Any) -> list[str]:
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": components})
    return [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(value)]


async def test_every_operation_shows_its_example_and_each_is_valid_in_its_schema(world: World) -> None:
    doc, components = world.doc, strict(world.doc["components"])
    for e in ENDPOINTS:
        op = doc["paths"][key(e).split(" ", 1)[1]][e.method.lower()]
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        assert body is None or "example" in body, f"{key(e)}: no example of its body"
        for status in success_statuses(e):
            content = op["responses"][str(status)].get("content", {}).get("application/json")
            assert content is None or "example" in content, f"{key(e)}: no example of its {status} answer"
        for param in op.get("parameters", ()):
            assert param["in"] == "query" or "example" in param, f"{key(e)}: no example of {param['name']}"
    examples = examples_of(doc)
    assert len(examples) > len(ENDPOINTS)
    wrong = [
        f"{where} {problem}" for where, schema, value in examples for problem in invalid(schema, components, value)
    ]
    assert wrong == [], f"examples not in their schemas (run {COMMAND}):\n" + "\n".join(wrong)
    # and the check can fail: a field the schema does not have, a required one missing
    send = doc["paths"]["/api/v1/conversations/{conversation_id}/messages"]["post"]
    ack = send["responses"]["201"]["content"]["application/json"]
    assert invalid(ack["schema"], components, {**ack["example"], "delivered": True})
    assert invalid(send["requestBody"]["content"]["application/json"]["schema"], components, {"text": "no id"})


async def test_a_send_example_shows_the_idempotency_key_at_work(world: World) -> None:
    send = world.doc["paths"]["/api/v1/conversations/{conversation_id}/messages"]["post"]
    sent = send["requestBody"]["content"]["application/json"]["example"]
    first, again = (send["responses"][s]["content"]["application/json"]["example"] for s in ("201", "200"))
    assert first["message"]["client_id"] == again["message"]["client_id"] == sent["id"]
    assert (first["duplicate"], again["duplicate"]) == (False, True) and first["message"] == again["message"]


def strings(value: Any) -> list[str]:
    """Every string in ``value`` but public keys' (long and random, and no secrets)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in PUBLIC_KEYS for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def secret_fields(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(k, v) for k, v in value.items() if k in PLACEHOLDERS] + [
            f for v in value.values() for f in secret_fields(v)
        ]
    if isinstance(value, list):
        return [f for v in value for f in secret_fields(v)]
    return []


async def test_the_examples_hold_placeholders_for_secrets() -> None:
    fields = secret_fields(EXAMPLES)
    assert {k for k, _ in fields} == set(PLACEHOLDERS)  # every kind of secret is there, to be checked
    assert [(k, v) for k, v in fields if v not in SAFE] == []
    # nothing like a token anywhere: a bearer token is 64 URL-safe characters, an AppSecret 32 hex
    # digits, an invite link's 24 URL-safe characters (a media id, 22, is no secret)
    said = [re.sub("|".join(re.escape(v) for v in {*SAFE, DEVICE_KEY} if v), "", s) for s in strings(EXAMPLES)]
    assert [s for s in said if re.search(r"[A-Za-z0-9_-]{24,}", s)] == []
    assert not [s for s in strings(EXAMPLES) if "127.0.0.1" in s or "localhost" in s]


# -- what the schemathesis run found -------------------------------------------------------------------


async def test_a_resend_answers_a_documented_200(world: World) -> None:
    send = world.doc["paths"]["/api/v1/conversations/{conversation_id}/messages"]["post"]["responses"]
    assert send["200"]["content"]["application/json"]["schema"] == send["201"]["content"]["application/json"]["schema"]
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
