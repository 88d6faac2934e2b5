"""Invariant 5, nobody sees what is not theirs: an authorization matrix against a real server.

Every route that touches someone else's data is tried by callers who must be refused: no token,
a malformed Authorization header, a revoked or disabled user's token, a non-member, a removed
member, a stranger, a blocked user, the wrong user's ids. Each refusal is a 401/403/404 that
reveals nothing: the body never contains the protected data, and an outsider's 404 is the very
same answer as for an id that does not exist. Nothing is written either.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets
from e2e.dbsnapshot import unchanged
from helpers import PASSWORD, Server, Socket, User, befriend, direct, register

from kith.http.routes import ENDPOINTS

pytestmark = pytest.mark.asyncio(loop_scope="module")

MISSING = 987_654_321  # an id that exists in no table
TAG = f"{os.getpid() % 100000}"


def name(role: str) -> str:
    return f"authz_{role}_{TAG}"


async def disable_user(server: Server, handle: str) -> None:
    """`kith admin disable-user` against the running server's data directory, as an operator would."""
    command = [sys.executable, "-m", "kith", "admin", "--data-dir", str(server.data_dir), "disable-user", handle]
    result = await asyncio.to_thread(subprocess.run, command, env=server.env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def anonymous(server: Server, authorization: str | None = None) -> httpx.AsyncClient:
    headers = {} if authorization is None else {"Authorization": authorization}
    return httpx.AsyncClient(base_url=server.url + "/api/v1", headers=headers, timeout=30)


def assert_reveals_nothing(response: httpx.Response, secrets: list[str]) -> None:
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"]["code"], str), body
    assert isinstance(body["error"]["message"], str), body
    for secret in secrets:
        assert secret not in response.text, f"{secret!r} leaked in {response.text}"


@dataclass
class World:
    """People and conversations shared by the tests of this module (each test adds its own extras)."""

    server: Server
    alice: User  # owns the group; friends with bob and dave
    bob: User
    dave: User  # in the group, later disabled by the admin
    erin: User  # was in the group, removed by alice
    mallory: User  # a stranger to everyone
    frank: User  # asked bob to be friends (pending)
    direct: int  # alice and bob
    group: int  # alice (owner), bob, dave
    request: int  # frank -> bob, pending
    bob_device: int  # a second device of bob
    tokens: dict[str, str]  # revoked or disabled tokens, by how they ended
    secrets: list[str]  # what an outsider must never see


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(shared_server: Server) -> AsyncIterator[World]:
    server = shared_server
    alice, bob, dave, erin, mallory, frank = [
        await register(server, name(role), f"Secret {role.title()} Person")
        for role in ("alice", "bob", "dave", "erin", "mallory", "frank")
    ]
    for friend in (bob, dave, erin):
        await befriend(alice, friend)
    conversation = await direct(alice, bob)
    await alice.ok("POST", f"/conversations/{conversation}/messages", json={"id": "d1", "text": "secret direct text"})
    group = await alice.ok(
        "POST", "/conversations/groups", json={"name": "Secret Group Name", "user_ids": [bob.id, dave.id, erin.id]}
    )
    await alice.ok("POST", f"/conversations/{group['id']}/messages", json={"id": "g1", "text": "secret group text"})
    await alice.ok("DELETE", f"/conversations/{group['id']}/members/{erin.id}")
    await alice.ok("POST", f"/conversations/{group['id']}/messages", json={"id": "g2", "text": "after erin left"})
    request = await frank.ok("POST", "/friend-requests", json={"handle": bob.handle, "greeting": "secret greeting"})

    # tokens that no longer work, each ended a different way (all belonged to members of the group)
    signed_out = await alice.new_device("signed out")
    await signed_out.ok("DELETE", "/sessions/current")
    revoked = await alice.new_device("revoked")
    await alice.ok("DELETE", f"/me/devices/{revoked.device_id}")
    old_bob = await bob.new_device("before the password change")
    await bob.ok("POST", "/me/password", json={"old_password": PASSWORD, "new_password": "a brand new password"})
    await bob.ok("POST", "/me/password", json={"old_password": "a brand new password", "new_password": PASSWORD})
    bob_device = await bob.new_device("second device")
    await disable_user(server, dave.handle)

    yield World(
        server=server,
        alice=alice,
        bob=bob,
        dave=dave,
        erin=erin,
        mallory=mallory,
        frank=frank,
        direct=conversation,
        group=group["id"],
        request=request["request"]["id"],
        bob_device=bob_device.device_id,
        tokens={
            "signed_out": signed_out.token,
            "device_revoked": revoked.token,
            "password_changed": old_bob.token,
            "disabled_user": dave.token,
        },
        secrets=[
            "secret direct text",
            "secret group text",
            "after erin left",
            "Secret Group Name",
            "secret greeting",
            *(u.handle for u in (alice, bob, dave, frank)),
            "Secret Alice Person",
            "Secret Bob Person",
        ],
    )
    for user in (alice, bob, dave, erin, mallory, frank, signed_out, revoked, old_bob, bob_device):
        await user.aclose()


# -- 1. no token, malformed headers, revoked and disabled tokens, on every authenticated route ----------

VALID_BODIES: dict[str, Any] = {
    "ProfileIn": {"status": "changed by an intruder"},
    "PasswordIn": {"old_password": PASSWORD, "new_password": "taken over by an intruder"},
    "RemarkIn": {"remark": "intruder"},
    "RequestIn": {"user_id": 1, "greeting": "hi"},
    "BlockIn": {"handle": "nobody_here"},
    "DirectIn": {"user_id": 1},
    "GroupIn": {"user_ids": [1], "name": "intruders"},
    "GroupUpdateIn": {"name": "renamed by an intruder"},
    "PrefsIn": {"muted": True},
    "ReadIn": {"seq": 1},
    "MembersIn": {"user_ids": [1]},
    "SendIn": {"id": "intruder-1", "text": "written by an intruder"},
    "DeleteAccountIn": {"password": PASSWORD},
    "AvatarIn": {"media_id": "AAAAAAAAAAAAAAAAAAAAAA"},
    "AccountIn": {"name": "An Intruder's Account", "kind": "service"},
    "WebhookIn": {"webhook_url": "", "token": "intruder1"},
    "MenuEventIn": {"key": "INTRUDE"},
    "ScanIn": {"ticket": "not-a-ticket"},
    "PostIn": {"id": "intruder-1", "text": "posted by an intruder"},
    "CommentIn": {"text": "written by an intruder"},
    "SettingsIn": {"window_days": 3},
    "TokenIn": {"token": "AAAAAAAAAAAAAAAAAAAAAAAA"},
    "GroupLinkIn": {"expires_in": 3600, "max_uses": 5},
    "PushSubscriptionIn": {
        "endpoint": "https://push.example.com/wpush/intruder",
        "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
    },
    "PushSettingsIn": {"previews": True},
    "UploadBody": None,  # an upload: refused for its credentials before its body is read
}


def fill(path: str, values: dict[str, int]) -> str:
    return re.sub(r"\{(\w+):int\}", lambda m: str(values.get(m.group(1), 1)), path)


def target_values(w: World) -> dict[str, int]:
    """Real ids of alice's data for the path parameters of the route table."""
    return {
        "conversation_id": w.group,
        "user_id": w.bob.id,
        "request_id": w.request,
        "device_id": w.alice.device_id,
        "seq": 1,
    }


AUTHENTICATED = [e for e in ENDPOINTS if e.auth]

# (how the caller presents itself, the Authorization header or None, the error code expected)
CREDENTIALS = [
    ("no_header", lambda w: None, "unauthenticated"),
    ("empty_header", lambda w: "", "unauthenticated"),
    ("scheme_only", lambda w: "Bearer", "unauthenticated"),
    ("basic_scheme", lambda w: "Basic YWxpY2U6cGFzc3dvcmQ=", "unauthenticated"),
    ("valid_token_without_scheme", lambda w: w.alice.token, "unauthenticated"),
    ("valid_token_wrong_scheme", lambda w: "Token " + w.alice.token, "unauthenticated"),
    ("valid_token_tab_separated", lambda w: "Bearer\t" + w.alice.token, "unauthenticated"),
    ("token_too_long", lambda w: "Bearer " + "A" * 300, "unauthenticated"),
    ("altered_token", lambda w: "Bearer " + w.alice.token[:-2] + "xx", "session_ended"),
    ("two_tokens", lambda w: f"Bearer {w.alice.token} {w.bob.token}", "session_ended"),
    ("signed_out", lambda w: "Bearer " + w.tokens["signed_out"], "session_ended"),
    ("device_revoked", lambda w: "Bearer " + w.tokens["device_revoked"], "session_ended"),
    ("password_changed", lambda w: "Bearer " + w.tokens["password_changed"], "session_ended"),
    ("disabled_user", lambda w: "Bearer " + w.tokens["disabled_user"], "session_ended"),
]


@pytest.mark.parametrize(("credential", "header_of", "code"), CREDENTIALS, ids=[c[0] for c in CREDENTIALS])
async def test_every_authenticated_route_refuses_bad_credentials(
    world: World, credential: str, header_of: Any, code: str
) -> None:
    values = target_values(world)
    failures = []
    async with anonymous(world.server, header_of(world)) as client, unchanged(world.server):
        for endpoint in AUTHENTICATED:
            kwargs: dict[str, Any] = {}
            if endpoint.body is not None:
                kwargs["json"] = VALID_BODIES.get(endpoint.body.__name__, {})
            if endpoint.query is not None:
                kwargs["params"] = {"SyncQuery": {"since": 0}, "LookupQuery": {"handle": world.bob.handle}}.get(
                    endpoint.query.__name__, {}
                )
            response = await client.request(
                endpoint.method, fill(endpoint.path, values).removeprefix("/api/v1"), **kwargs
            )
            route = f"{endpoint.method} {endpoint.path}"
            if response.status_code != 401:
                failures.append(f"{route} -> {response.status_code} {response.text[:200]}")
                continue
            assert response.headers.get("www-authenticate") == "Bearer", route
            assert response.json()["error"]["code"] == code, f"{route}: {response.text}"
            assert_reveals_nothing(response, world.secrets)
    assert not failures, "\n".join(failures)


async def test_the_matrix_covers_every_authenticated_route() -> None:
    # a new route with a body needs a valid example above, so that it is refused for its credentials alone
    bodies = {e.body.__name__ for e in AUTHENTICATED if e.body is not None}
    assert bodies <= set(VALID_BODIES), bodies - set(VALID_BODIES)


async def test_sign_in_is_refused_to_a_disabled_user(world: World) -> None:
    async with anonymous(world.server) as client, unchanged(world.server):
        disabled = await client.post("/sessions", json={"handle": world.dave.handle, "password": PASSWORD})
        wrong = await client.post("/sessions", json={"handle": world.alice.handle, "password": "not the password"})
    assert disabled.status_code == wrong.status_code == 401
    # a disabled account is indistinguishable from a wrong password
    assert (
        disabled.json()
        == wrong.json()
        == {"error": {"code": "wrong_credentials", "message": "wrong handle or password"}}
    )


# -- 2. outsiders on conversation routes: the same 404 as for a conversation that does not exist ---------

CONVERSATION_ROUTES = [
    ("get", "GET", "/conversations/{c}", None),
    ("rename", "PATCH", "/conversations/{c}", {"name": "hijacked"}),
    ("transfer", "PATCH", "/conversations/{c}", {"owner_id": "{me}"}),
    ("prefs", "PATCH", "/conversations/{c}/prefs", {"pinned": True}),
    ("read", "POST", "/conversations/{c}/read", {"seq": 1}),
    ("members", "GET", "/conversations/{c}/members", None),
    ("add_members", "POST", "/conversations/{c}/members", {"user_ids": ["{friend}"]}),
    ("remove_member", "DELETE", "/conversations/{c}/members/{victim}", None),
    ("leave", "POST", "/conversations/{c}/leave", None),
    ("history", "GET", "/conversations/{c}/messages", None),
    ("history_after", "GET", "/conversations/{c}/messages?after=0&limit=200", None),
    ("send", "POST", "/conversations/{c}/messages", {"id": "outsider-1", "text": "let me in"}),
    ("reply", "POST", "/conversations/{c}/messages", {"id": "outsider-2", "text": "re", "reply_to": 1}),
    ("recall", "POST", "/conversations/{c}/messages/1/recall", None),
    ("hide", "POST", "/conversations/{c}/messages/1/hide", None),
]

# (who tries, which conversation): people who are not (or no longer) members
OUTSIDERS = [
    ("stranger_on_group", "mallory", "group"),
    ("stranger_on_direct", "mallory", "direct"),
    ("removed_member_on_group", "erin", "group"),
    ("requester_on_direct", "frank", "direct"),
    ("friend_of_one_on_direct", "erin", "direct"),
]


def _expand(value: Any, subs: dict[str, int]) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, subs) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, subs) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return subs[value[1:-1]]
    return value


@pytest.mark.parametrize(
    ("label", "method", "path", "body"), CONVERSATION_ROUTES, ids=[r[0] for r in CONVERSATION_ROUTES]
)
@pytest.mark.parametrize(("who", "which"), [o[1:] for o in OUTSIDERS], ids=[o[0] for o in OUTSIDERS])
async def test_outsiders_get_the_same_404_as_for_no_conversation(
    world: World, who: str, which: str, label: str, method: str, path: str, body: Any
) -> None:
    caller: User = getattr(world, who)
    conversation = getattr(world, which)
    subs = {"me": caller.id, "friend": world.alice.id, "victim": world.bob.id}
    payload = _expand(body, subs)
    async with unchanged(world.server, caller):
        refused = await caller.call(method, _expand_path(path, conversation, subs), json=payload)
        missing = await caller.call(method, _expand_path(path, MISSING, subs), json=payload)
    assert refused.status_code == 404, refused.text
    assert refused.json() == missing.json() == {"error": {"code": "not_found", "message": "no such conversation"}}
    assert_reveals_nothing(refused, world.secrets)


def _expand_path(path: str, conversation: int, subs: dict[str, int]) -> str:
    return path.replace("{c}", str(conversation)).replace("{victim}", str(subs["victim"]))


async def test_outsiders_do_not_find_it_in_lists_or_in_their_sync(world: World) -> None:
    for outsider in (world.mallory, world.frank):
        listed = await outsider.ok("GET", "/conversations")
        assert {c["id"] for c in listed["conversations"]} & {world.group, world.direct} == set()
        events = json.dumps(await outsider.sync_all())
        for secret in ("secret direct text", "secret group text", "Secret Group Name", "after erin left"):
            assert secret not in events
    # the removed member keeps what she saw before, and learns nothing after her removal
    erin_log = json.dumps(await world.erin.sync_all())
    assert "secret group text" in erin_log and "after erin left" not in erin_log


# -- 3. the wrong user's ids: devices, friend requests, friends ---------------------------------------


async def test_someone_elses_friend_request_cannot_be_answered(world: World) -> None:
    base = "/friend-requests/{}/{}"
    attempts = [
        (world.mallory, "accept"),
        (world.mallory, "decline"),
        (world.mallory, "cancel"),
        (world.frank, "accept"),  # his own request: only bob may accept it
        (world.frank, "decline"),
        (world.bob, "cancel"),  # the recipient cannot withdraw it
        (world.alice, "accept"),
    ]
    for caller, verb in attempts:
        async with unchanged(world.server, caller):
            refused = await caller.call("POST", base.format(world.request, verb))
            missing = await caller.call("POST", base.format(MISSING, verb))
        assert refused.status_code == 404, (caller.handle, verb, refused.text)
        assert refused.json() == missing.json() == {"error": {"code": "not_found", "message": "no such friend request"}}
        assert_reveals_nothing(refused, world.secrets)
    # still pending, still only between frank and bob
    incoming = (await world.bob.ok("GET", "/friend-requests"))["incoming"]
    assert [(r["id"], r["status"]) for r in incoming] == [(world.request, "pending")]
    assert (await world.mallory.ok("GET", "/friend-requests")) == {"incoming": [], "outgoing": []}


async def test_someone_elses_device_cannot_be_revoked(world: World) -> None:
    async with unchanged(world.server, world.mallory):
        refused = await world.mallory.call("DELETE", f"/me/devices/{world.bob_device}")
        missing = await world.mallory.call("DELETE", f"/me/devices/{MISSING}")
    assert refused.status_code == 404
    assert refused.json() == missing.json() == {"error": {"code": "not_found", "message": "no such device"}}
    devices = (await world.bob.ok("GET", "/me/devices"))["devices"]
    assert world.bob_device in [d["id"] for d in devices]
    # and mallory sees only her own devices
    assert [d["id"] for d in (await world.mallory.ok("GET", "/me/devices"))["devices"]] == [world.mallory.device_id]


async def test_a_stranger_cannot_touch_someone_elses_friendship(world: World) -> None:
    m = world.mallory
    for method, path, body in (
        ("PATCH", "/friends/{}", {"remark": "mine now"}),
        ("DELETE", "/friends/{}", None),
        ("DELETE", "/blocks/{}", None),
    ):
        async with unchanged(world.server, m):
            refused = await m.call(method, path.format(world.alice.id), json=body)
            missing = await m.call(method, path.format(MISSING), json=body)
        assert refused.status_code == 404, refused.text
        assert refused.json() == missing.json()
        assert_reveals_nothing(refused, world.secrets)
    # alice and bob are still friends, with no remark from anyone else
    friends = (await world.alice.ok("GET", "/friends"))["friends"]
    assert {f["user"]["id"]: f["remark"] for f in friends}[world.bob.id] == ""


async def test_members_cannot_do_what_only_the_owner_or_sender_may(world: World) -> None:
    g, bob = world.group, world.bob
    attempts = [
        ("PATCH", f"/conversations/{g}", {"owner_id": bob.id}, 403, "not_owner"),
        ("PATCH", f"/conversations/{g}", {"owner_only_adds": True}, 403, "not_owner"),
        ("DELETE", f"/conversations/{g}/members/{world.alice.id}", None, 403, "not_owner"),
        ("POST", f"/conversations/{g}/messages/1/recall", None, 403, "not_sender"),  # the "created" notice
        ("POST", f"/conversations/{g}/messages/2/recall", None, 403, "not_sender"),  # alice's message
        ("POST", f"/conversations/{world.direct}/messages/1/recall", None, 403, "not_sender"),
    ]
    for method, path, body, status, code in attempts:
        async with unchanged(world.server, bob):
            response = await bob.call(method, path, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (path, response.text)
    history = (await world.alice.ok("GET", f"/conversations/{g}/messages"))["messages"]
    assert not any(m["recalled"] for m in history)
    assert (await world.alice.ok("GET", f"/conversations/{g}"))["owner_id"] == world.alice.id


# -- 4. strangers: no conversation without a friendship ---------------------------------------------


async def test_strangers_cannot_open_a_conversation_or_be_added(world: World) -> None:
    m, alice = world.mallory, world.alice
    async with unchanged(world.server, m, alice):
        stranger = await m.call("POST", "/conversations/direct", json={"user_id": alice.id})
        nobody = await m.call("POST", "/conversations/direct", json={"user_id": MISSING})
        group = await m.call("POST", "/conversations/groups", json={"user_ids": [alice.id, world.bob.id]})
        added = await alice.call("POST", f"/conversations/{world.group}/members", json={"user_ids": [m.id]})
        new_group = await alice.call("POST", "/conversations/groups", json={"user_ids": [world.bob.id, m.id]})
    assert stranger.status_code == 403
    # a stranger's id and an id nobody has get the same answer
    assert stranger.json() == nobody.json() == {"error": {"code": "not_friends", "message": "you are not friends yet"}}
    assert (group.status_code, group.json()["error"]["code"]) == (403, "not_friends")
    assert (added.status_code, added.json()["error"]["code"]) == (403, "not_friends")
    assert (new_group.status_code, new_group.json()["error"]["code"]) == (403, "not_friends")
    assert added.json()["error"]["user_ids"] == [m.id]


async def test_former_friends_can_no_longer_send(world: World) -> None:
    server = world.server
    olive, pete = await register(server, name("olive")), await register(server, name("pete"))
    await befriend(olive, pete)
    conversation = await direct(olive, pete)
    await olive.ok("POST", f"/conversations/{conversation}/messages", json={"id": "o1", "text": "while friends"})
    await pete.ok("DELETE", f"/friends/{olive.id}")
    for sender in (olive, pete):
        async with unchanged(server, sender):
            response = await sender.call(
                "POST", f"/conversations/{conversation}/messages", json={"id": "late", "text": "still there?"}
            )
        assert (response.status_code, response.json()["error"]["code"]) == (403, "not_friends")
    for user in (olive, pete):
        assert "still there?" not in json.dumps(await user.sync_all())
        await user.aclose()


# -- 5. blocks: accepted, never delivered, never told -------------------------------------------------


async def test_a_blocked_friends_messages_never_reach_the_blocker(world: World) -> None:
    server = world.server
    victor, walt = await register(server, name("victor")), await register(server, name("walt"))
    await befriend(victor, walt)
    conversation = await direct(victor, walt)
    await walt.ok("POST", f"/conversations/{conversation}/messages", json={"id": "w0", "text": "before the block"})
    victor_ws = await Socket.connect(victor)
    await victor.ok("PUT", f"/blocks/{walt.id}")

    sent = await walt.call("POST", f"/conversations/{conversation}/messages", json={"id": "w1", "text": "blocked rest"})
    walt_ws = await Socket.connect(walt)
    ack = await walt_ws.send_text(conversation, "blocked ws", client_id="w2")
    # walt is not told: both sends look exactly like ordinary ones
    assert sent.status_code == 201 and sent.json()["duplicate"] is False
    assert sent.json()["message"]["text"] == "blocked rest" and sent.json()["message"]["seq"] == 2
    assert ack["type"] == "ack" and ack["message"]["text"] == "blocked ws" and ack["duplicate"] is False
    looked_up = await walt.ok("GET", "/users/lookup", params={"handle": victor.handle})
    assert looked_up["is_friend"] and not looked_up["blocked"]
    assert [m["text"] for m in (await walt.ok("GET", f"/conversations/{conversation}/messages"))["messages"]] == [
        "before the block",
        "blocked rest",
        "blocked ws",
    ]

    # a marker event after both sends: once victor's socket has it, anything earlier has arrived too
    await victor.ok("PATCH", f"/conversations/{conversation}/prefs", json={"pinned": True})
    await victor_ws.wait_for(lambda: [e for e in victor_ws.events if e["type"] == "conversation.prefs"])
    assert victor_ws.messages() == []
    history = (await victor.ok("GET", f"/conversations/{conversation}/messages"))["messages"]
    assert [m["text"] for m in history] == ["before the block"]
    log = json.dumps(await victor.sync_all())
    assert "blocked rest" not in log and "blocked ws" not in log
    listed = await victor.ok("GET", f"/conversations/{conversation}")
    assert listed["unread"] == 1 and listed["last_message"]["text"] == "before the block"
    # nor can victor reach them by seq
    recall = await victor.call("POST", f"/conversations/{conversation}/messages/2/recall")
    assert (recall.status_code, recall.json()["error"]["code"]) == (404, "no_such_message")
    # and while he blocks walt, victor cannot write to him either
    reply = await victor.call(
        "POST", f"/conversations/{conversation}/messages", json={"id": "v1", "text": "?", "reply_to": 3}
    )
    assert (reply.status_code, reply.json()["error"]["code"]) == (403, "blocked_by_you")
    for sock in (victor_ws, walt_ws):
        await sock.close()
    for user in (victor, walt):
        await user.aclose()


async def test_a_blocked_strangers_friend_request_never_appears(world: World) -> None:
    server = world.server
    victor, yuri, zoe = [await register(server, name(role)) for role in ("victor2", "yuri", "zoe")]
    await victor.ok("POST", "/blocks", json={"handle": yuri.handle})
    victor_ws = await Socket.connect(victor)

    silenced = await yuri.call("POST", "/friend-requests", json={"handle": victor.handle, "greeting": "let me in"})
    ordinary = await yuri.call("POST", "/friend-requests", json={"handle": zoe.handle, "greeting": "hello"})
    # yuri cannot tell the two apart
    assert silenced.status_code == ordinary.status_code == 201
    assert silenced.json().keys() == ordinary.json().keys()
    assert silenced.json()["request"].keys() == ordinary.json()["request"].keys()
    assert silenced.json()["request"]["status"] == ordinary.json()["request"]["status"] == "pending"
    again = await yuri.call("POST", "/friend-requests", json={"handle": victor.handle, "greeting": "please"})
    assert again.status_code == 201 and again.json()["request"]["status"] == "pending"
    outgoing = (await yuri.ok("GET", "/friend-requests"))["outgoing"]
    assert sorted(r["to_user"]["id"] for r in outgoing) == sorted([victor.id, zoe.id])

    await victor.ok("PATCH", "/me", json={"status": "marker"})
    await victor_ws.wait_for(lambda: [e for e in victor_ws.events if e["type"] == "profile.updated"])
    assert [e["type"] for e in victor_ws.events] == ["profile.updated"]
    assert (await victor.ok("GET", "/friend-requests")) == {"incoming": [], "outgoing": []}
    assert "let me in" not in json.dumps(await victor.sync_all())
    assert (await victor.ok("GET", "/users/lookup", params={"handle": yuri.handle}))["incoming_request_id"] is None
    # victor cannot answer what he was never shown
    request_id = silenced.json()["request"]["id"]
    for verb in ("accept", "decline"):
        response = await victor.call("POST", f"/friend-requests/{request_id}/{verb}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    await victor_ws.close()
    for user in (victor, yuri, zoe):
        await user.aclose()


# -- 6. new members see nothing from before they joined -------------------------------------------


async def test_a_new_member_does_not_see_earlier_history(world: World) -> None:
    server = world.server
    owner, old, new = [await register(server, name(role)) for role in ("hana", "ivan", "gina")]
    await befriend(owner, old)
    await befriend(owner, new)
    group = (await owner.ok("POST", "/conversations/groups", json={"user_ids": [old.id]}))["id"]
    sent = await owner.ok("POST", f"/conversations/{group}/messages", json={"id": "e1", "text": "before gina"})
    early = sent["message"]["seq"]
    await owner.ok("POST", f"/conversations/{group}/members", json={"user_ids": [new.id]})
    await owner.ok("POST", f"/conversations/{group}/messages", json={"id": "e2", "text": "after gina"})

    history = (await new.ok("GET", f"/conversations/{group}/messages", params={"after": 0}))["messages"]
    assert "before gina" not in json.dumps(history) and "after gina" in json.dumps(history)
    assert all(m["seq"] > early for m in history)
    assert "before gina" not in json.dumps(await new.sync_all())
    async with unchanged(server, new):
        reply = await new.call(
            "POST", f"/conversations/{group}/messages", json={"id": "n1", "text": "re", "reply_to": early}
        )
        recall = await new.call("POST", f"/conversations/{group}/messages/{early}/recall")
        pinned = await new.call("GET", f"/conversations/{group}/messages", params={"before": early + 1})
    assert (reply.status_code, reply.json()["error"]["code"]) == (404, "no_such_message")
    assert (recall.status_code, recall.json()["error"]["code"]) == (404, "no_such_message")
    assert pinned.status_code == 200 and pinned.json()["messages"] == []
    assert (await new.ok("GET", f"/conversations/{group}"))["last_message"]["text"] == "after gina"
    for user in (owner, old, new):
        await user.aclose()


# -- 7. the WebSocket: bad tokens, ended sessions, outsiders -------------------------------------------


@pytest.mark.parametrize(
    "how", ["empty", "garbage", "signed_out", "device_revoked", "password_changed", "disabled_user"]
)
async def test_hello_with_a_dead_token_closes_4001(world: World, how: str) -> None:
    token = {"empty": "", "garbage": "not-a-token", **world.tokens}[how]
    async with unchanged(world.server), websockets.connect(world.server.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "token": token, "since": 0}))
        with pytest.raises(websockets.ConnectionClosed):
            frame = await asyncio.wait_for(ws.recv(), 10)
            raise AssertionError(f"got a frame instead of a close: {frame}")
    assert ws.close_code == 4001


@pytest.mark.parametrize("how", ["revoked_elsewhere", "signed_out_here", "password_changed_elsewhere"])
async def test_ending_a_session_closes_its_open_socket_4003(world: World, how: str) -> None:
    user = await register(world.server, name(how.split("_")[0]))
    other = await user.new_device("the other device")
    doomed = await Socket.connect(user)
    survivor = await Socket.connect(other)
    if how == "revoked_elsewhere":
        await other.ok("DELETE", f"/me/devices/{user.device_id}")
    elif how == "signed_out_here":
        await user.ok("DELETE", "/sessions/current")
    else:
        await other.ok("POST", "/me/password", json={"old_password": PASSWORD, "new_password": "rotated password"})
    await doomed.wait_for(lambda: doomed.close_code is not None)
    assert doomed.close_code == 4003
    assert (await user.call("GET", "/me")).status_code == 401
    # the other device's socket stays open and works
    assert survivor.close_code is None
    await survivor.send_json({"type": "ping", "ref": "still-here"})
    pong = await survivor.wait_for(lambda: [f for f in survivor.frames if f["type"] == "pong"])
    assert pong == [{"type": "pong", "ref": "still-here"}]
    await survivor.close()
    await user.aclose()
    await other.aclose()


async def test_outsiders_over_the_websocket_get_not_found(world: World) -> None:
    for outsider, conversation in (
        (world.mallory, world.group),
        (world.erin, world.group),
        (world.frank, world.direct),
    ):
        sock = await Socket.connect(outsider)
        async with unchanged(world.server, outsider):
            refused = await sock.send_text(conversation, "let me in", client_id="ws-out-1")
            missing = await sock.send_text(MISSING, "let me in", client_id="ws-out-2")
            read = await sock.request({"type": "read", "conversation_id": conversation, "seq": 1, "ref": "r1"}, "r1")
            read_missing = await sock.request({"type": "read", "conversation_id": MISSING, "seq": 1, "ref": "r2"}, "r2")
        assert refused["type"] == missing["type"] == read["type"] == read_missing["type"] == "error"
        assert refused["error"] == missing["error"] == read["error"] == read_missing["error"]
        assert refused["error"] == {"code": "not_found", "message": "no such conversation"}
        for frame in (refused, read):
            assert not any(secret in json.dumps(frame) for secret in world.secrets)
        assert sock.events == []
        await sock.close()


async def test_disabling_a_user_closes_their_open_socket(make_server: Callable[..., Server]) -> None:
    # the admin command runs in another process: the server notices within one heartbeat
    server = make_server({"KITH_WS_HEARTBEAT_SECONDS": "0.5"})
    user = await register(server, name("quinn"))
    sock = await Socket.connect(user)
    await disable_user(server, user.handle)
    await sock.wait_for(lambda: sock.close_code is not None, timeout=10)
    assert sock.close_code == 4003
    assert (await user.call("GET", "/me")).status_code == 401
    await user.aclose()
