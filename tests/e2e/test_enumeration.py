"""Walking user ids teaches a stranger nothing, against a real server.

A fresh user, related to nobody but the one friend they made, walks the ids of people they do not
know and ids nobody has, through every route that takes a user id. Each route must answer an
existing stranger exactly as it answers an id nobody has (same status, same body once the id itself
is blanked out), no answer may carry anyone's handle, name or status line, and afterwards nothing
of theirs has appeared in the walker's blocks, requests or events. What a stranger can learn, they
learn by the exact handle, as the lookup always allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
import pytest_asyncio
from helpers import Server, User, befriend, register

from kith.http.routes import ENDPOINTS

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class World:
    server: Server
    walker: User  # the stranger: friends with `pal` only, owner of a group with `pal`
    pal: User
    victims: list[User]  # people the walker does not know, with lives of their own
    group: int
    missing: list[int]  # ids nobody has


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(shared_server: Server) -> AsyncIterator[World]:
    server = shared_server
    victims = [await register(server, f"victim{i}", f"Victim Number {i}") for i in range(4)]
    v0, v1, v2, v3 = victims
    for v in victims:
        await v.ok("PATCH", "/me", json={"status": f"secret status of {v.handle}"})
    # lives of their own: a friendship, a group, a pending request, a block
    await befriend(v0, v1)
    await befriend(v0, v2)
    await v0.ok("POST", "/conversations/groups", json={"name": "their group", "user_ids": [v1.id, v2.id]})
    await v3.ok("POST", "/friend-requests", json={"handle": v1.handle})
    await v2.ok("PUT", f"/blocks/{v0.id}")
    walker, pal = await register(server, "walker"), await register(server, "walker_pal")
    await befriend(walker, pal)
    group = await walker.ok("POST", "/conversations/groups", json={"name": "mine", "user_ids": [pal.id]})
    top = max(u.id for u in [*victims, walker, pal])
    yield World(server, walker, pal, victims, group["id"], [top + 1000, top + 10_000, 2**62])
    for user in (*victims, walker, pal):
        await user.aclose()


# Every route that takes a user id, with the request that puts the id in it. `{id}` is the id.
WALK: dict[tuple[str, str], tuple[str, Any]] = {
    ("POST", "/friend-requests"): ("/friend-requests", {"user_id": "{id}", "greeting": "hello"}),
    ("PUT", "/blocks/{user_id:int}"): ("/blocks/{id}", None),
    ("DELETE", "/blocks/{user_id:int}"): ("/blocks/{id}", None),
    ("PATCH", "/friends/{user_id:int}"): ("/friends/{id}", {"remark": "who?"}),
    ("DELETE", "/friends/{user_id:int}"): ("/friends/{id}", None),
    ("POST", "/conversations/direct"): ("/conversations/direct", {"user_id": "{id}"}),
    ("POST", "/conversations/groups"): ("/conversations/groups", {"name": "probe", "user_ids": ["{id}"]}),
    ("POST", "/conversations/{conversation_id:int}/members"): (
        "/conversations/{group}/members",
        {"user_ids": ["{id}"]},
    ),
    ("DELETE", "/conversations/{conversation_id:int}/members/{user_id:int}"): (
        "/conversations/{group}/members/{id}",
        None,
    ),
    ("PATCH", "/conversations/{conversation_id:int}"): ("/conversations/{group}", {"owner_id": "{id}"}),
    ("GET", "/moments/users/{user_id:int}/posts"): ("/moments/users/{id}/posts", None),
    ("POST", "/moments/posts"): (
        "/moments/posts",
        {"id": "probe", "text": "hi", "audience": "only", "people": ["{id}"]},
    ),
}

USER_FIELDS = {"user_id", "user_ids", "owner_id", "people"}


def takes_a_user_id(endpoint: Any) -> bool:
    if "{user_id" in endpoint.path:
        return True
    return endpoint.body is not None and bool(USER_FIELDS & set(endpoint.body.__struct_fields__))


def _fill(value: Any, user_id: int) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, user_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, user_id) for v in value]
    return user_id if value == "{id}" else value


async def probe(world: World, key: tuple[str, str], user_id: int) -> tuple[int, str]:
    """The walker's request with ``user_id`` in it: the status and the body with the id blanked out."""
    path, body = WALK[key]
    path = path.replace("{group}", str(world.group)).replace("{id}", str(user_id))
    kwargs = {} if body is None else {"json": _fill(body, user_id)}
    response = await world.walker.call(key[0], path, **kwargs)
    assert response.status_code < 500, response.text
    return response.status_code, re.sub(rf"\b{user_id}\b", "{id}", response.text)


def leaks(world: World, text: str) -> list[str]:
    """Whatever of the victims' profiles appears in ``text``."""
    found = []
    for v in world.victims:
        found += [s for s in (v.handle, f"Victim Number {v.handle[-1]}", f"secret status of {v.handle}") if s in text]
    return found


async def test_the_walk_covers_every_route_that_takes_a_user_id() -> None:
    routes = {(e.method, e.path.removeprefix("/api/v1")) for e in ENDPOINTS if takes_a_user_id(e)}
    assert routes == set(WALK)


@pytest.mark.parametrize("key", list(WALK), ids=[f"{m} {p}" for m, p in WALK])
async def test_a_stranger_and_nobody_get_the_same_answer(world: World, key: tuple[str, str]) -> None:
    answers = {}
    for user_id in [*(v.id for v in world.victims), *world.missing]:
        answers[user_id] = await probe(world, key, user_id)
    nobody = answers[world.missing[0]]
    assert nobody[0] >= 400, nobody
    for user_id, answer in answers.items():
        assert answer == nobody, f"user {user_id}: {answer} but for an id nobody has: {nobody}"
        assert not leaks(world, answer[1]), answer


async def test_after_the_walk_the_stranger_knows_no_one_and_no_one_knows_of_it(world: World) -> None:
    for key in WALK:
        for v in world.victims:
            await probe(world, key, v.id)
    walker = world.walker
    assert (await walker.ok("GET", "/blocks"))["users"] == []
    assert (await walker.ok("GET", "/friend-requests"))["outgoing"] == []
    assert [f["user"]["id"] for f in (await walker.ok("GET", "/friends"))["friends"]] == [world.pal.id]
    events = await walker.sync_all()
    assert not leaks(world, json.dumps(events)), leaks(world, json.dumps(events))
    conversations = (await walker.ok("GET", "/conversations"))["conversations"]
    assert not leaks(world, json.dumps(conversations))
    for v in world.victims:  # nobody was asked, blocked or added
        requests = await v.ok("GET", "/friend-requests")
        assert walker.id not in [r["from_user"]["id"] for r in requests["incoming"]]
        assert walker.handle not in json.dumps(await v.sync_all())


async def test_someone_known_by_handle_can_be_asked_and_blocked(world: World) -> None:
    walker, pal = await register(world.server, "walker2"), world.pal
    target, other = world.victims[3], world.victims[1]
    sent = await walker.ok("POST", "/friend-requests", json={"handle": target.handle.upper(), "greeting": "hi"})
    assert sent["request"]["to_user"]["handle"] == target.handle
    # now that a request is pending, the id is known: asking again by id works
    again = await walker.ok("POST", "/friend-requests", json={"user_id": target.id, "greeting": "hi again"})
    assert again["request"]["id"] == sent["request"]["id"]
    await walker.ok("POST", "/blocks", json={"handle": other.handle})
    assert [u["id"] for u in (await walker.ok("GET", "/blocks"))["users"]] == [other.id]
    await walker.ok("DELETE", f"/blocks/{other.id}")
    # someone in a conversation with you is known too: a group member can be blocked by id
    await befriend(walker, pal)
    shared = await pal.ok("POST", "/conversations/groups", json={"user_ids": [walker.id, world.walker.id]})
    assert shared["member_count"] == 3
    await world.walker.ok("PUT", f"/blocks/{walker.id}")
    await world.walker.ok("DELETE", f"/blocks/{walker.id}")
    await walker.aclose()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/friend-requests", {"handle": "nobody_has_this"}, 404, "no_such_handle"),
        ("POST", "/blocks", {"handle": "nobody_has_this"}, 404, "no_such_handle"),
        ("POST", "/friend-requests", {"handle": "walker"}, 400, "self_request"),
        ("POST", "/blocks", {"handle": "walker"}, 400, "invalid"),
        ("POST", "/friend-requests", {"greeting": "to whom?"}, 400, "invalid"),
        ("POST", "/friend-requests", {"user_id": 1, "handle": "walker_pal"}, 400, "invalid"),
        ("POST", "/blocks", {"handle": "not a handle"}, 400, "invalid"),
    ],
)
async def test_the_handle_forms_refuse_what_they_should(
    world: World, method: str, path: str, body: Any, status: int, code: str
) -> None:
    response = await world.walker.call(method, path, json=body)
    assert response.status_code == status, response.text
    assert msgspec.json.decode(response.content)["error"]["code"] == code
