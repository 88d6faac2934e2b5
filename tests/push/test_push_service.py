"""The push domain in-process: which endpoints are acceptable, what a push job does when the world
changed before it ran, retries, and presence on the bus (memory and Redis)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from domain import Kit
from pushservice import PushService, Receiver

from kith.accounts.models import Caller
from kith.chats.models import Location
from kith.errors import Invalid
from kith.push.sender import check_endpoint


@pytest.fixture
def stand_in() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.close()


REFUSED = [
    "http://push.example.com/x",  # not https
    "https://127.0.0.1/x",
    "https://10.1.2.3/x",
    "https://192.168.0.7/x",
    "https://169.254.169.254/latest/meta-data",  # a cloud's metadata service
    "https://0.0.0.0/x",
    "https://[::1]/x",
    "https://[fe80::1]/x",
    "https://[::ffff:10.0.0.1]/x",
    "https://224.0.0.1/x",
    "https://localhost/x",
    "https://push.localhost/x",
    "https://printer.local/x",
    "https://intranet/x",  # a bare name: something on the local network
    "https://push.example.com:8443/x",  # push services are on 443
    "https://user:pw@push.example.com/x",
    "https://push.example.com/x#frag",
    "https://push.example.com/a b",
    "https://push.example.com/" + "a" * 1100,
    "https://push.example.com:99999/x",
    "https:///x",
    "javascript:alert(1)",
]
ACCEPTED = [
    "https://fcm.googleapis.com/fcm/send/dGhpcyBpcyBub3QgcmVhbA:APA91b",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
    "https://web.push.apple.com/QGuQyavXutnMH",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    "https://push.example.com:443/x",
    "https://8.8.8.8/x",
]


@pytest.mark.parametrize("url", REFUSED)
def test_endpoints_that_could_reach_inside_are_refused(url: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_endpoint(url, allow_insecure=False)
    assert refused.value.fields == {"field": "endpoint"}


@pytest.mark.parametrize("url", ACCEPTED)
def test_push_services_endpoints_are_accepted(url: str) -> None:
    assert check_endpoint(url, allow_insecure=False) == url


def test_the_insecure_setting_allows_http_to_loopback_only() -> None:
    for url in ("http://127.0.0.1:8123/push/a", "http://localhost:80/x", "http://[::1]:9/x", "https://10.0.0.1/x"):
        assert check_endpoint(url, allow_insecure=True) == url
    for url in ("http://10.0.0.1/x", "http://push.example.com/x", "ftp://127.0.0.1/x", "http://me@127.0.0.1/x"):
        with pytest.raises(Invalid):
            check_endpoint(url, allow_insecure=True)


async def _pair(kit: Kit) -> tuple[Caller, Caller, int]:
    alice, bob = await kit.user(), await kit.user()
    await kit.friends(alice, bob)
    chat = await kit.chats.open_direct(alice, bob.user_id)
    return alice, bob, chat.id


async def _subscribe(kit: Kit, who: Caller, receiver: Receiver) -> None:
    keys = receiver.subscription()["keys"]
    await kit.push.subscribe(who, receiver.endpoint, keys["p256dh"], keys["auth"])


MakeKit = Callable[..., Awaitable[Kit]]


async def test_a_message_recalled_before_its_push_went_out_is_never_pushed(
    make_kit: MakeKit, stand_in: PushService
) -> None:
    kit = await make_kit(push_allow_insecure_endpoints=True)
    alice, bob, chat = await _pair(kit)
    receiver = stand_in.receiver("recall")
    await _subscribe(kit, bob, receiver)
    sent = await kit.chats.send(alice, chat, "c1", "meant for someone else")
    await kit.chats.recall(alice, chat, sent.message.seq)
    await kit.drain()  # the push job runs only now
    assert stand_in.to(receiver) == []
    await kit.chats.send(alice, chat, "c2", "this one stays")
    await kit.drain()
    assert len(stand_in.to(receiver)) == 1


async def test_a_member_who_left_before_the_push_hears_nothing(make_kit: MakeKit, stand_in: PushService) -> None:
    kit = await make_kit(push_allow_insecure_endpoints=True)
    alice, bob, _ = await _pair(kit)
    carol = await kit.user()
    await kit.friends(alice, carol)
    group = await kit.chats.create_group(alice, "Club", [bob.user_id, carol.user_id])
    receiver = stand_in.receiver("left")
    await _subscribe(kit, bob, receiver)
    await kit.chats.send(carol, group.id, "g1", "hello club")
    await kit.chats.leave(bob, group.id)
    await kit.drain()
    assert stand_in.to(receiver) == []


async def test_a_place_is_previewed_by_its_kind_not_its_contents(make_kit: MakeKit, stand_in: PushService) -> None:
    kit = await make_kit(push_allow_insecure_endpoints=True)
    alice, bob, chat = await _pair(kit)
    receiver = stand_in.receiver("place")
    await _subscribe(kit, bob, receiver)
    await kit.push.set_settings(bob, previews=True)
    await kit.chats.send(alice, chat, "p1", "", location=Location(48.85, 2.35, "the bakery"))
    await kit.drain()
    (push,) = stand_in.to(receiver)
    payload = receiver.decrypt(push)
    assert payload["message_kind"] == "location" and payload["text"] == ""


async def test_a_failing_push_service_is_tried_again_then_given_up(make_kit: MakeKit, stand_in: PushService) -> None:
    kit = await make_kit(push_allow_insecure_endpoints=True)
    alice, bob, chat = await _pair(kit)
    receiver = stand_in.receiver("flaky")
    stand_in.status["/push/flaky"] = 503
    await _subscribe(kit, bob, receiver)
    await kit.chats.send(alice, chat, "f1", "are you there")
    await kit.drain()
    assert len(stand_in.to(receiver)) == 2, "two tries, then the push is dropped: a late push is worth little"
    assert await kit.rows("SELECT id FROM push_subscriptions") != [], "a failing service does not end the subscription"
    assert await kit.rows("SELECT id FROM outbox") == [], "and the job is done, not rescheduled"
    stand_in.status["/push/flaky"] = 404
    kit.clock.advance(60)
    await kit.chats.send(alice, chat, "f2", "hello?")
    await kit.drain()
    assert await kit.rows("SELECT id FROM push_subscriptions") == [], "404: the push service forgot it"


async def test_an_endpoint_checked_again_before_each_push(
    make_kit: MakeKit, stand_in: PushService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that resolves to an inner address by the time of the push (DNS changed) is refused
    and its subscription deleted; an endpoint that the settings no longer allow, too."""
    kit = await make_kit()
    alice, bob, chat = await _pair(kit)
    carol = await kit.user()
    await kit.friends(alice, carol)
    with_carol = await kit.chats.open_direct(alice, carol.user_id)
    receiver = Receiver("https://push.example.com/wpush/bob")
    await _subscribe(kit, bob, receiver)
    keys = stand_in.receiver("c").subscription()["keys"]
    await kit.db.write(lambda tx: tx.execute(
        "INSERT INTO push_subscriptions (user_id, device_id, endpoint, p256dh, auth, created_at)"
        " VALUES (?, ?, ?, ?, ?, 1)", (carol.user_id, carol.device_id, stand_in.endpoint("c"), keys["p256dh"],
                                       keys["auth"])))  # fmt: skip
    looked_up: list[str] = []

    async def resolves_inside(host: str, port: int, **kwargs: Any) -> list[Any]:
        looked_up.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.8", port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolves_inside)
    await kit.chats.send(alice, chat, "s1", "for bob")
    await kit.chats.send(alice, with_carol.id, "s2", "for carol")
    await kit.drain()
    assert looked_up == ["push.example.com"]
    assert stand_in.pushes == [], "nothing went out"
    assert await kit.rows("SELECT user_id FROM push_subscriptions") == []


async def test_presence_is_a_listener_on_any_node(kit: Kit) -> None:
    """Memory bus: this process's listeners. Redis bus (the postgres backend): any node's, as Redis
    counts the subscribers of the user's channel."""
    user = 424242

    def listener(wakeup: Any) -> None:
        pass

    assert await kit.bus.present(user) is False
    kit.bus.subscribe(user, listener)
    assert await kit.bus.present(user) is True
    if kit.backend == "postgres":
        from backends import bus_url

        from kith.bus.redis import RedisBus

        other = RedisBus(bus_url(str(kit.store)))  # another node of the same deployment
        await other.start()
        try:
            for _ in range(100):
                if await other.present(user):
                    break
                await asyncio.sleep(0.02)
            assert await other.present(user) is True, "another node sees the user's socket here"
            kit.bus.unsubscribe(user, listener)
            for _ in range(100):
                if not await other.present(user):
                    break
                await asyncio.sleep(0.02)
            assert await other.present(user) is False
        finally:
            await other.close()
    else:
        kit.bus.unsubscribe(user, listener)
        assert await kit.bus.present(user) is False
