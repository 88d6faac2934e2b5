"""The WebSocket's life cycle: opening, resuming, heartbeats and closing, with their close codes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable

import pytest
import websockets
from helpers import Server, Socket, befriend, direct, register


@pytest.fixture
def quick_server(make_server: Callable[..., Server]) -> Server:
    """A server with short auth and heartbeat intervals."""
    return make_server({"KITH_WS_AUTH_TIMEOUT_SECONDS": "0.5", "KITH_WS_HEARTBEAT_SECONDS": "1"})


async def _closed_with(ws: websockets.ClientConnection) -> int | None:
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 10)
    return ws.close_code


async def test_hello_is_required_in_time(quick_server: Server) -> None:
    async with websockets.connect(quick_server.ws_url) as ws:
        assert await _closed_with(ws) == 4008
    async with websockets.connect(quick_server.ws_url) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert await _closed_with(ws) == 4002
    async with websockets.connect(quick_server.ws_url) as ws:
        await ws.send("not json")
        assert await _closed_with(ws) == 4002
    async with websockets.connect(quick_server.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "token": "nope"}))
        assert await _closed_with(ws) == 4001
        assert ws.close_reason


async def test_resume_from_now_or_from_since(shared_server: Server) -> None:
    alice, bob = await register(shared_server), await register(shared_server)
    await befriend(alice, bob)
    conversation = await direct(alice, bob)
    await bob.ok("POST", f"/conversations/{conversation}/messages", json={"id": "old", "text": "old news"})
    head = (await alice.ok("GET", "/sync", params={"since": 0}))["head"]
    fresh = await Socket.connect(alice)  # no since: from now on, no backlog
    assert fresh.ready == {"type": "ready", "head": head, "since": head}
    full = await Socket.connect(alice, since=0)
    await full.wait_for(lambda: len(full.events) == head)
    await bob.ok("POST", f"/conversations/{conversation}/messages", json={"id": "new", "text": "news"})
    await fresh.wait_for(lambda: fresh.messages())
    await full.wait_for(lambda: len(full.events) == head + 1)
    assert [m["text"] for m in fresh.messages()] == ["news"]
    assert [e["seq"] for e in full.events] == list(range(1, head + 2))
    await fresh.send_json({"type": "ping", "ref": "p1"})
    assert await fresh.wait_for(lambda: [f for f in fresh.frames if f == {"type": "pong", "ref": "p1"}])
    await fresh.close()
    await full.close()


async def test_since_ahead_of_the_log_asks_for_a_resync(shared_server: Server) -> None:
    alice = await register(shared_server)
    async with websockets.connect(shared_server.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "token": alice.token, "since": 999}))
        error = json.loads(await ws.recv())
        assert error["type"] == "error" and error["error"]["code"] == "since_ahead"
        assert await _closed_with(ws) == 4009


async def test_read_frames_are_acknowledged_and_synced_to_own_devices(shared_server: Server) -> None:
    alice, bob = await register(shared_server), await register(shared_server)
    await befriend(alice, bob)
    conversation = await direct(alice, bob)
    for n in range(3):
        await bob.ok("POST", f"/conversations/{conversation}/messages", json={"id": f"r{n}", "text": "hi"})
    phone, laptop = await Socket.connect(alice), await Socket.connect(await alice.new_device())
    ack = await phone.request({"type": "read", "conversation_id": conversation, "seq": 2, "ref": "r"}, "r")
    assert ack == {"type": "ack", "ref": "r", "read_seq": 2}
    got = await laptop.wait_for(lambda: [e for e in laptop.events if e["type"] == "conversation.read"])
    assert got[0]["data"] == {"conversation_id": conversation, "read_seq": 2}
    refused = await phone.request({"type": "read", "conversation_id": 10**9, "seq": 1, "ref": "x"}, "x")
    assert refused["type"] == "error" and refused["error"]["code"] == "not_found"
    await phone.close()
    await laptop.close()


async def test_a_change_made_by_another_process_reaches_open_sockets(quick_server: Server) -> None:
    """`kith admin disable-user` runs in its own process: no wake-up reaches the server, yet the
    heartbeat's look at the store delivers the revocation and closes the socket."""
    alice = await register(quick_server)
    ws = await Socket.connect(alice)
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "kith", "admin", "--data-dir", str(quick_server.data_dir), "disable-user", alice.handle],
        env=quick_server.env,
        check=True,
        capture_output=True,
    )
    await ws.wait_for(lambda: ws.close_code is not None, timeout=10)
    assert ws.close_code == 4003
    assert [e["type"] for e in ws.events] == ["device.revoked"]
    assert (await alice.call("GET", "/me")).status_code == 401


async def test_shutdown_closes_sockets_with_going_away(server: Server) -> None:
    alice = await register(server)
    ws = await Socket.connect(alice)
    server.stop()
    await ws.wait_for(lambda: ws.close_code is not None, timeout=10)
    assert ws.close_code in (1001, 1012)
