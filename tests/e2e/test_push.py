"""Web Push end to end: a real server pushes to a local stand-in push service on 127.0.0.1, and the
test decrypts each push with the subscription's own keys, as the browser would (docs/push.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from e2e.dbsnapshot import unchanged
from helpers import PASSWORD, Server, Socket, User, befriend, direct, register
from pushservice import PushService, Receiver, vapid_key_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

COALESCE_SECONDS = 2
ENV = {"KITH_PUSH_ALLOW_INSECURE_ENDPOINTS": "true", "KITH_PUSH_COALESCE_SECONDS": str(COALESCE_SECONDS)}


@pytest.fixture(scope="module")
def stand_in() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.close()


@pytest.fixture(scope="module")
def push_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from backends import fresh_store, scale_out_env

    folder = tmp_path_factory.mktemp(f"push-{backend}")
    with fresh_store(backend, folder / "data" / "kith.db") as store:
        extra = scale_out_env(str(store)) if backend == "postgres" else {}
        srv = Server(folder / "data", {**extra, **ENV}).start()
        yield srv
        srv.stop()


async def settled(server: Server, timeout: float = 10) -> None:
    """Every push job has run (a job is in the outbox from the send's commit until it is done)."""
    for _ in range(int(timeout / 0.05)):
        if not server.rows("SELECT id FROM outbox WHERE topic = ?", "push.send"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"push jobs still waiting: {server.rows('SELECT * FROM outbox')}")


async def wait_pushes(stand_in: PushService, receiver: Receiver, count: int = 1) -> list[Any]:
    return await asyncio.to_thread(stand_in.wait_for, receiver, count)


@dataclass
class Pair:
    alice: User  # writes
    bob: User  # has a push subscription on his device
    chat: int  # their direct conversation
    receiver: Receiver  # bob's browser


_names = iter(range(1, 10_000))


@pytest_asyncio.fixture(loop_scope="module")
async def pair(push_server: Server, stand_in: PushService) -> AsyncIterator[Pair]:
    alice, bob = await register(push_server), await register(push_server)
    await befriend(alice, bob)
    chat = await direct(alice, bob)
    receiver = stand_in.receiver(f"bob{next(_names)}")
    response = await bob.call("POST", "/push/subscriptions", json=receiver.subscription())
    assert response.status_code == 201, response.text
    yield Pair(alice, bob, chat, receiver)
    for user in (alice, bob):
        await user.aclose()


async def send(user: User, chat: int, text: str) -> dict[str, Any]:
    return await user.ok("POST", f"/conversations/{chat}/messages", json={"id": f"m{next(_names)}", "text": text})


async def test_a_push_says_new_message_and_no_more_by_default(
    push_server: Server, stand_in: PushService, pair: Pair
) -> None:
    sent = await send(pair.alice, pair.chat, "the secret is under the mat")
    (push,) = await wait_pushes(stand_in, pair.receiver)
    payload = pair.receiver.decrypt(push)
    assert payload == {"kind": "message", "conversation_id": pair.chat, "seq": sent["message"]["seq"],
                       "title": "New message"}  # fmt: skip
    assert b"secret" not in push.body and "mat" not in str(payload)
    # signed with the server's own VAPID key, and the headers a push service wants
    key = (await pair.bob.ok("GET", "/push/key"))["public_key"]
    assert vapid_key_of(push) == key
    assert push.headers["ttl"] == "86400" and push.headers["urgency"] == "high"
    assert push.headers["topic"] == f"c{pair.chat}"
    await settled(push_server)
    assert len(stand_in.to(pair.receiver)) == 1, "the sender's own devices are not pushed to"


async def test_with_previews_on_a_push_shows_who_wrote_and_what(
    push_server: Server, stand_in: PushService, pair: Pair
) -> None:
    settings = await pair.bob.ok("PUT", "/push/settings", json={"previews": True})
    assert settings == {"previews": True, "subscribed": True}
    await pair.bob.ok("PATCH", f"/friends/{pair.alice.id}", json={"remark": "Al from work"})
    sent = await send(pair.alice, pair.chat, "lunch at one?")
    (push,) = await wait_pushes(stand_in, pair.receiver)
    assert pair.receiver.decrypt(push) == {
        "kind": "message", "conversation_id": pair.chat, "seq": sent["message"]["seq"], "title": "Al from work",
        "sender": "Al from work", "text": "lunch at one?", "message_kind": "text",
    }  # fmt: skip
    # in a group: the group's name, and who said it
    carol = await register(push_server, display_name="Carol")
    await befriend(pair.alice, carol)
    group = await pair.alice.ok(
        "POST", "/conversations/groups", json={"name": "Lunch club", "user_ids": [pair.bob.id, carol.id]}
    )
    await settled(push_server)
    said = await send(carol, group["id"], "x" * 500)
    pushes = await wait_pushes(stand_in, pair.receiver, 2)
    payload = pair.receiver.decrypt(pushes[1])
    assert payload["title"] == "Lunch club" and payload["group"] == "Lunch club" and payload["sender"] == "Carol"
    assert payload["text"] == "x" * 119 + "…" and payload["seq"] == said["message"]["seq"]
    await carol.aclose()


async def test_a_muted_chat_sends_no_push(push_server: Server, stand_in: PushService, pair: Pair) -> None:
    await pair.bob.ok("PATCH", f"/conversations/{pair.chat}/prefs", json={"muted": True})
    await send(pair.alice, pair.chat, "you will not hear of this")
    await settled(push_server)
    assert stand_in.to(pair.receiver) == []
    await pair.bob.ok("PATCH", f"/conversations/{pair.chat}/prefs", json={"muted": False})
    await send(pair.alice, pair.chat, "but of this")
    assert len(await wait_pushes(stand_in, pair.receiver)) == 1


async def test_a_mention_pushes_even_in_a_muted_group(push_server: Server, stand_in: PushService, pair: Pair) -> None:
    carol = await register(push_server, display_name="Carol")
    await befriend(pair.alice, carol)
    group = await pair.alice.ok("POST", "/conversations/groups", json={"user_ids": [pair.bob.id, carol.id]})
    await pair.bob.ok("PATCH", f"/conversations/{group['id']}/prefs", json={"muted": True})
    await settled(push_server)
    before = len(stand_in.to(pair.receiver))
    await send(carol, group["id"], "chatter bob mutes")
    body = {"id": f"m{next(_names)}", "text": "@Bob are you in?", "mentions": [pair.bob.id]}
    called = await carol.ok("POST", f"/conversations/{group['id']}/messages", json=body)
    pushes = await wait_pushes(stand_in, pair.receiver, before + 1)
    payload = pair.receiver.decrypt(pushes[-1])
    assert payload["conversation_id"] == group["id"] and payload["seq"] == called["message"]["seq"]
    await settled(push_server)
    assert len(stand_in.to(pair.receiver)) == before + 1  # the chatter was not pushed
    await carol.aclose()


async def test_no_push_while_a_socket_of_the_user_is_open(
    push_server: Server, stand_in: PushService, pair: Pair
) -> None:
    socket = await Socket.connect(pair.bob)
    await send(pair.alice, pair.chat, "you are here: the app shows it")
    await socket.wait_for(lambda: socket.messages(pair.chat))
    await settled(push_server)
    assert stand_in.to(pair.receiver) == []
    await socket.close()
    await asyncio.sleep(0.3)  # the server sees the socket close a moment after the client does
    # gone again (the socket kept nothing back: the next message pushes at once)
    await send(pair.alice, pair.chat, "and now you are not")
    assert len(await wait_pushes(stand_in, pair.receiver)) == 1


async def test_one_push_per_conversation_in_the_coalescing_window(
    push_server: Server, stand_in: PushService, pair: Pair
) -> None:
    for n in range(5):
        await send(pair.alice, pair.chat, f"burst {n}")
    await settled(push_server)
    assert len(stand_in.to(pair.receiver)) == 1
    await asyncio.sleep(COALESCE_SECONDS + 0.2)
    await send(pair.alice, pair.chat, "later")
    assert len(await wait_pushes(stand_in, pair.receiver, 2)) == 2


async def test_a_gone_subscription_is_deleted(push_server: Server, stand_in: PushService, pair: Pair) -> None:
    stand_in.status[pair.receiver.endpoint.split(str(stand_in.httpd.server_address[1]))[1]] = 410
    await send(pair.alice, pair.chat, "anyone there?")
    await wait_pushes(stand_in, pair.receiver)
    await settled(push_server)
    assert push_server.rows("SELECT id FROM push_subscriptions WHERE user_id = ?", pair.bob.id) == []
    assert (await pair.bob.ok("GET", "/push/settings"))["subscribed"] is False


async def test_a_friend_request_pushes(push_server: Server, stand_in: PushService) -> None:
    frank, gina = await register(push_server, display_name="Frank"), await register(push_server)
    receiver = stand_in.receiver(f"gina{next(_names)}")
    await gina.ok("POST", "/push/subscriptions", json=receiver.subscription())
    request = await frank.ok("POST", "/friend-requests", json={"handle": gina.handle, "greeting": "from the choir"})
    (push,) = await wait_pushes(stand_in, receiver)
    assert receiver.decrypt(push) == {
        "kind": "friend_request", "request_id": request["request"]["id"], "title": "New friend request"
    }  # fmt: skip
    for user in (frank, gina):
        await user.aclose()


async def test_a_subscription_is_per_device_and_goes_with_it(push_server: Server, stand_in: PushService) -> None:
    bob = await register(push_server)
    laptop = await bob.new_device("laptop")
    first, second, again = stand_in.receiver("p1"), stand_in.receiver("p2"), stand_in.receiver("p3")
    assert (await bob.call("POST", "/push/subscriptions", json=first.subscription())).status_code == 201
    assert (await laptop.call("POST", "/push/subscriptions", json=second.subscription())).status_code == 201
    replaced = await bob.call("POST", "/push/subscriptions", json=again.subscription())
    assert replaced.status_code == 200, "a second subscription of a device replaces its first"
    listed = (await bob.ok("GET", "/push/subscriptions"))["subscriptions"]
    assert sorted(s["device_id"] for s in listed) == sorted([bob.device_id, laptop.device_id])
    assert {s["origin"] for s in listed} == {stand_in.endpoint("")[: -len("/push/")]}
    # signing the laptop out ends its pushes; this device's own DELETE ends its own
    await bob.ok("DELETE", f"/me/devices/{laptop.device_id}")
    assert push_server.rows("SELECT device_id FROM push_subscriptions WHERE user_id = ?", bob.id) == [(bob.device_id,)]
    await bob.ok("DELETE", "/push/subscriptions/current")
    await bob.ok("DELETE", "/push/subscriptions/current")  # again: nothing to do, no error
    assert push_server.rows("SELECT id FROM push_subscriptions WHERE user_id = ?", bob.id) == []
    await bob.aclose()
    await laptop.aclose()


async def test_an_endpoint_moves_to_the_account_now_signed_in(push_server: Server, stand_in: PushService) -> None:
    alice, mallory = await register(push_server), await register(push_server)
    browser = stand_in.receiver(f"shared{next(_names)}")
    await alice.ok("POST", "/push/subscriptions", json=browser.subscription())
    await mallory.ok("POST", "/push/subscriptions", json=browser.subscription())  # the same browser, later
    rows = push_server.rows("SELECT user_id FROM push_subscriptions WHERE endpoint = ?", browser.endpoint)
    assert rows == [(mallory.id,)], "alice's messages must not reach a browser someone else now uses"
    await alice.aclose()
    await mallory.aclose()


async def test_at_most_ten_devices_take_pushes(push_server: Server, stand_in: PushService) -> None:
    user = await register(push_server)
    devices = [user] + [await user.new_device(f"d{n}") for n in range(10)]
    for n, device in enumerate(devices[:10]):
        await device.ok("POST", "/push/subscriptions", json=stand_in.receiver(f"cap{n}").subscription())
    async with unchanged(push_server, devices[10]):
        refused = await devices[10].call("POST", "/push/subscriptions", json=stand_in.receiver("cap10").subscription())
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "too_many_subscriptions"
    # a device that has one may still replace it
    assert (
        await devices[3].call("POST", "/push/subscriptions", json=stand_in.receiver("cap3b").subscription())
    ).status_code == 200
    for device in devices:
        await device.aclose()


async def test_deleting_the_account_deletes_its_subscriptions(push_server: Server, stand_in: PushService) -> None:
    user = await register(push_server)
    await user.ok("POST", "/push/subscriptions", json=stand_in.receiver(f"del{next(_names)}").subscription())
    await user.ok("PUT", "/push/settings", json={"previews": True})
    await user.ok("DELETE", "/me", json={"password": PASSWORD})
    for table in ("push_subscriptions", "push_settings", "push_coalesce"):
        assert push_server.rows(f"SELECT * FROM {table} WHERE user_id = ?", user.id) == [], table
    await user.aclose()


def _sub(receiver: Receiver, **changes: Any) -> dict[str, Any]:
    body = receiver.subscription()
    for key, value in changes.items():
        if key in ("p256dh", "auth"):
            body["keys"][key] = value
        elif value is None:
            body.pop(key)
        else:
            body[key] = value
    return body


NOT_ON_CURVE = "B" + "A" * 86
BAD_BODIES: list[tuple[str, Callable[[Receiver], Any], str | None]] = [
    ("http_to_a_public_host", lambda r: _sub(r, endpoint="http://push.example.com/x"), "endpoint"),
    ("ftp", lambda r: _sub(r, endpoint="ftp://127.0.0.1/x"), "endpoint"),
    ("no_host", lambda r: _sub(r, endpoint="https:///x"), "endpoint"),
    ("user_name", lambda r: _sub(r, endpoint="http://me@127.0.0.1/x"), "endpoint"),
    ("space", lambda r: _sub(r, endpoint="http://127.0.0.1/a b"), "endpoint"),
    ("too_long", lambda r: _sub(r, endpoint="http://127.0.0.1/" + "a" * 1100), "endpoint"),
    ("bad_port", lambda r: _sub(r, endpoint="http://127.0.0.1:99999/x"), "endpoint"),
    ("not_on_the_curve", lambda r: _sub(r, p256dh=NOT_ON_CURVE), "keys.p256dh"),
    ("compressed_point", lambda r: _sub(r, p256dh="A" + r.subscription()["keys"]["p256dh"][1:44]), "p256dh"),
    ("short_auth", lambda r: _sub(r, auth="AAAA"), "auth"),
    ("auth_not_base64", lambda r: _sub(r, auth="!" * 22), "auth"),
    ("no_keys", lambda r: _sub(r, keys=None), "keys"),
    ("no_endpoint", lambda r: _sub(r, endpoint=None), "endpoint"),
    ("unknown_field", lambda r: _sub(r, surprise=1), None),
    ("endpoint_a_number", lambda r: _sub(r, endpoint=5), "endpoint"),
]


@pytest.mark.parametrize(("label", "body", "field"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
async def test_a_bad_subscription_is_refused_and_nothing_stored(
    push_server: Server, stand_in: PushService, label: str, body: Callable[[Receiver], Any], field: str | None
) -> None:
    user = await register(push_server)
    async with unchanged(push_server, user):
        response = await user.call("POST", "/push/subscriptions", json=body(stand_in.receiver(label)))
    assert response.status_code == 400, response.text
    if field is not None:
        assert field in response.json()["error"].get("field", "") + response.json()["error"]["message"]
    await user.aclose()


async def test_the_vapid_key_is_kept_across_restarts(make_server: Callable[..., Server]) -> None:
    server = make_server()
    user = await register(server)
    before = (await user.ok("GET", "/push/key"))["public_key"]
    key_file = server.data_dir / "vapid-private.pem"
    assert key_file.stat().st_mode & 0o077 == 0, "the private key is readable by its owner only"
    server.stop()
    server.start()
    assert (await user.ok("GET", "/push/key"))["public_key"] == before
    await user.aclose()
