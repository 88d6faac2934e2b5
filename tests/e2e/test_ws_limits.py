"""WebSocket abuse: a client that never reads cannot grow the server's memory, a revoked device is
refused at once, and a send over the rate limit is answered with an error while the socket stays open.

"Never reads" is real here: the client's socket has a tiny receive buffer and the client does not
call ``recv`` (its library stops reading once a few messages wait), so the server's writes block
exactly as they would for a stalled phone.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable

import pytest
import websockets
from helpers import Server, Socket, User, befriend, direct, register

MIB = 1024 * 1024
REF = "r" * (60 * 1024)  # a 60 KiB ref: each pong repeats it


def rss_mib(server: Server) -> float:
    assert server.proc is not None
    with open(f"/proc/{server.proc.pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def stalled_socket(user: User, since: int | None = None) -> websockets.ClientConnection:
    """A signed-in socket whose client reads (almost) nothing: a 4 KiB receive buffer, and a
    library queue of one message before it stops reading."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", user.server.port))
    raw.setblocking(False)
    ws = await websockets.connect(user.server.ws_url, sock=raw, max_queue=1, max_size=2**24, ping_interval=None)
    await ws.send(json.dumps({"type": "hello", "token": user.token, "since": since}))
    ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert ready["type"] == "ready", ready
    return ws


async def flood(ws: websockets.ClientConnection, frames: int, frame: str, seconds: float = 20) -> int:
    """Send up to ``frames`` frames without reading; stop when the server stops taking them
    (a send blocks for a second) or closes. Returns how many went out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    sent = 0
    while sent < frames and loop.time() < deadline:
        try:
            await asyncio.wait_for(ws.send(frame), 1)
        except (TimeoutError, websockets.ConnectionClosed):
            break
        sent += 1
    return sent


async def drain(ws: websockets.ClientConnection, timeout: float = 30) -> list[dict]:
    """Read everything until the server closes; returns the frames read."""
    frames = []
    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(timeout):
            while True:
                frames.append(json.loads(await ws.recv()))
    return frames


async def test_pings_from_a_client_that_never_reads_stay_under_a_memory_cap(server: Server) -> None:
    alice = await register(server)
    ws = await stalled_socket(alice)
    before = rss_mib(server)
    sent = await flood(ws, 6000, json.dumps({"type": "ping", "ref": REF}))
    grown = rss_mib(server) - before
    # 6,000 pongs of 60 KiB are 360 MiB; the queue may hold 1 MiB, the socket buffers a few more
    assert grown < 48, f"the server grew by {grown:.0f} MiB after {sent} unread pings"
    frames = await drain(ws)
    assert ws.close_code == 1013, (ws.close_code, ws.close_reason)
    assert "reconnect" in (ws.close_reason or "")
    assert len(frames) < 60  # what was queued before the cap, not thousands
    await alice.aclose()


async def test_after_the_overflow_close_the_client_resumes_from_its_seq(server: Server) -> None:
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    chat = await direct(alice, bob)
    ws = await stalled_socket(alice)
    await flood(ws, 6000, json.dumps({"type": "ping", "ref": REF}))
    await drain(ws)
    assert ws.close_code == 1013
    sent = await bob.ok("POST", f"/conversations/{chat}/messages", json={"id": "while-away", "text": "missed?"})
    head = (await alice.ok("GET", "/sync", params={"since": 0, "limit": 1}))["head"]
    since = head - 1  # the message is the newest event: resume just before it
    again = await Socket.connect(alice, since=since)
    assert again.ready["since"] == since
    got = await again.wait_for(lambda: again.messages(chat))
    assert got[0]["text"] == "missed?" and got[0]["seq"] == sent["message"]["seq"]
    assert (await again.send_text(chat, "back"))["type"] == "ack"
    await again.close()
    await alice.aclose()
    await bob.aclose()


async def test_the_cap_is_a_setting(make_server: Callable[..., Server]) -> None:
    server = make_server({"KITH_WS_MAX_QUEUED_BYTES": str(200 * 1024)})
    alice = await register(server)
    ws = await stalled_socket(alice)
    await flood(ws, 6000, json.dumps({"type": "ping", "ref": REF}))
    frames = await drain(ws)
    assert ws.close_code == 1013
    assert len(frames) < 40  # at most what fits in 200 KiB and the socket's buffers
    await alice.aclose()


async def test_a_revoked_device_that_never_reads_is_refused_at_once(make_server: Callable[..., Server]) -> None:
    # a large queue cap, so that only the revocation can end this socket
    server = make_server({"KITH_WS_MAX_QUEUED_BYTES": str(256 * MIB)})
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    chat = await direct(alice, bob)
    phone = await alice.new_device("phone")
    ws = await stalled_socket(phone)
    # fill every buffer between the server and the stalled client: the server's writes now block
    await flood(ws, 300, json.dumps({"type": "ping", "ref": REF}))
    await alice.ok("DELETE", f"/me/devices/{phone.device_id}")
    frame = {"type": "send", "id": "after-revoke", "conversation_id": chat, "text": "still here?"}
    await asyncio.wait_for(ws.send(json.dumps(frame)), 5)
    frames = await drain(ws, 60)
    assert ws.close_code == 4003, (ws.close_code, ws.close_reason)
    assert not [f for f in frames if f.get("ref") == "after-revoke"]
    assert server.rows("SELECT COUNT(*) FROM messages WHERE client_id = ?", "after-revoke") == [(0,)]
    await phone.aclose()
    await alice.aclose()
    await bob.aclose()


async def test_a_send_over_the_rate_limit_gets_an_error_frame_and_the_socket_stays_open(
    make_server: Callable[..., Server],
) -> None:
    server = make_server({"KITH_RATE_SEND_DEVICE": "5/60"})
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    chat = await direct(alice, bob)
    sock = await Socket.connect(alice)
    for i in range(5):
        assert (await sock.send_text(chat, f"hi {i}", f"ok{i}"))["type"] == "ack"
    refused = await sock.send_text(chat, "one too many", "over")
    assert refused["type"] == "error"
    assert refused["error"]["code"] == "rate_limited"
    assert 1 <= refused["error"]["retry_after"] <= 12
    await sock.send_json({"type": "ping", "ref": "still-open"})
    await sock.wait_for(lambda: [f for f in sock.frames if f["type"] == "pong" and f["ref"] == "still-open"])
    assert server.rows("SELECT COUNT(*) FROM messages WHERE client_id = ?", "over") == [(0,)]
    # another device of the same user has its own budget (the user's is larger)
    laptop = await alice.new_device("laptop")
    sent = await laptop.call("POST", f"/conversations/{chat}/messages", json={"id": "laptop1", "text": "hi"})
    assert sent.status_code == 201, sent.text
    await sock.close()
    for user in (alice, bob, laptop):
        await user.aclose()


async def test_ping_frames_from_a_client_that_never_reads_stay_under_a_memory_cap(server: Server) -> None:
    """WebSocket ping control frames (answered by the server's WebSocket layer, not the gateway)."""
    alice = await register(server)
    ws = await stalled_socket(alice)
    before = rss_mib(server)
    loop = asyncio.get_running_loop()
    deadline, pings = loop.time() + 15, 0
    while pings < 300_000 and loop.time() < deadline:
        for _ in range(500):
            ws.protocol.send_ping(b"p" * 125)
        ws.send_data()
        pings += 500
        while ws.transport.get_write_buffer_size() > MIB and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)  # the server reads these as fast as it can
        await asyncio.sleep(0)
    sent = pings * 131 / MIB
    grown = rss_mib(server) - before
    assert sent > 24, f"only {sent:.0f} MiB of pings went out"
    assert grown < 8, f"the server grew by {grown:.0f} MiB after {sent:.0f} MiB of unread pings"
    ws.transport.abort()
    await alice.aclose()


async def test_a_catch_up_from_the_store_comes_in_pieces_of_the_queue_cap(make_server: Callable[..., Server]) -> None:
    server = make_server(env={"KITH_WS_MAX_QUEUED_BYTES": "8192", "KITH_RATE_SEND_DEVICE": "off"})
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    chat = await direct(alice, bob)
    for n in range(40):  # 40 events of over 1 KiB each, while bob is away
        await alice.ok("POST", f"/conversations/{chat}/messages", json={"id": f"big{n}", "text": f"{n} " + "x" * 1200})
    sock = await Socket.connect(bob, since=0)
    try:
        await sock.wait_for(lambda: len(sock.messages(chat)) == 40)
        assert [m["text"].split()[0] for m in sock.messages(chat)] == [str(n) for n in range(40)]
        pieces = [f for f in sock.frames if f["type"] == "events"]
        assert len(pieces) >= 5, "not one frame of the whole page"
        assert max(len(json.dumps(f)) for f in pieces) < 8192 + 2000, "a piece holds at most one event past the cap"
        seqs = [e["seq"] for e in sock.events]
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        await sock.close()
