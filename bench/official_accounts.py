"""Official accounts: webhook round trips against a local werobot bot, and a mass send's fan-out.

Starts its own `kith serve` (SQLite in a temporary directory) and a werobot bot (a threaded WSGI
server on 127.0.0.1) as a service account's webhook, then measures, RUNS times each:

- webhook round trips per second: USERS followers each send a text over their WebSocket and wait
  for the bot's passive reply to arrive on it, one at a time, ROUNDS times (a user's text in, the
  outbox delivers it to the bot, the reply is stored and pushed back);
- a mass send to FOLLOWERS followers: the time from the API call until the last follower (the one
  the fan-out reaches last) has it on a connected WebSocket, and meanwhile the acknowledgement
  latency of two friends chatting, against the same latency before the send (the fan-out runs in
  outbox batches, so others' sends must not wait for it).

    .venv/bin/python bench/official_accounts.py                      # 10,000 followers, 3 runs
    .venv/bin/python bench/official_accounts.py --followers 1000 --runs 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import socketserver
import statistics
import time
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import websockets
import werobot

from kith.bench.server import LocalServer, free_port
from kith.bench.setup import Account, Api, run_tag

UNLIMITED_ENV = {
    "KITH_PLATFORM_ALLOW_PRIVATE_WEBHOOKS": "true",
    **{
        f"KITH_RATE_{n}": "off"
        for n in ("SEND_USER", "SEND_DEVICE", "PLATFORM_APP", "PLATFORM_TOKEN", "FRIEND_REQUEST_USER")
    },
}


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # the default listen backlog of 5 drops connections: a 1 s SYN retry each


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve_bot(token: str, port: int) -> None:
    robot = werobot.WeRoBot(token=token, SESSION_STORAGE=False)
    robot.logger.disabled = True
    robot.text(lambda message: "echo " + message.content)
    make_server("127.0.0.1", port, robot.wsgi, server_class=ThreadingServer, handler_class=Quiet).serve_forever()


def start_bot(token: str) -> tuple[str, multiprocessing.Process]:
    """The bot in a process of its own: in this one it would share the GIL with the clients being timed."""
    port = free_port()
    bot = multiprocessing.Process(target=serve_bot, args=(token, port), daemon=True)
    bot.start()
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
        except OSError:
            time.sleep(0.05)
    return f"http://127.0.0.1:{port}/wx", bot


class Socket:
    """One signed-in WebSocket: sends, and waits for events."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, ws_url: str, token: str) -> Socket:
        ws = await websockets.connect(ws_url, max_size=None)
        await ws.send(json.dumps({"type": "hello", "token": token}))
        while json.loads(await ws.recv()).get("type") != "ready":
            pass
        return cls(ws)

    async def until(self, match: Any) -> float:
        while True:
            frame = json.loads(await self.ws.recv())
            for event in frame.get("events", ()):
                if match(event):
                    return time.perf_counter()

    async def close(self) -> None:
        await self.ws.close()


def from_account(text: str | None = None) -> Any:
    def match(event: dict[str, Any]) -> bool:
        data = event.get("data", {})
        return (
            event["type"] == "message"
            and data.get("sender_id") is None
            and data.get("kind") != "system"
            and (text is None or data.get("text") == text)
        )

    return match


async def round_trips(server: LocalServer, followers: list[tuple[Account, int]], rounds: int) -> float:
    async def one(account: Account, chat: int) -> int:
        socket = await Socket.open(server.ws_url, account.token)
        try:
            for n in range(rounds):
                text = f"{account.handle} {n} {time.monotonic_ns()}"
                frame = {"type": "send", "id": f"r{time.monotonic_ns()}", "conversation_id": chat, "text": text}
                await socket.ws.send(json.dumps(frame))
                await socket.until(from_account("echo " + text))
        finally:
            await socket.close()
        return rounds

    start = time.perf_counter()
    done = await asyncio.gather(*(one(a, c) for a, c in followers))
    return sum(done) / (time.perf_counter() - start)


async def chat_latency(api: Api, a: Account, b: Account, chat: int, stop: asyncio.Event, into: list[float]) -> None:
    n = 0
    while not stop.is_set() and n < 10_000:
        start = time.perf_counter()
        await api._call("POST", f"/conversations/{chat}/messages", a.token, json={"id": f"c{time.monotonic_ns()}",
                                                                                  "text": "meanwhile"})  # fmt: skip
        into.append(time.perf_counter() - start)
        n += 1
        await asyncio.sleep(0.01)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else (values[0] if values else 0.0)


async def main_async(args: argparse.Namespace) -> None:
    server = LocalServer(extra_env=UNLIMITED_ENV).start()
    bot_url, bot = start_bot("benchtoken1")
    try:
        async with Api(server.url, concurrency=16, timeout=120) as api, httpx.AsyncClient(base_url=server.url) as http:
            tag = run_tag()
            owner, a, b = await api.register_many(tag + "x", 3)
            created = await api._call("POST", "/official-accounts", owner.token,
                                      json={"name": f"Bench {tag}", "kind": "service"})  # fmt: skip
            account_id = created["account"]["id"]
            t0 = time.perf_counter()
            people = await api.register_many(tag + "f", args.followers)
            follows = await api._all(
                api._call("PUT", f"/official-accounts/{account_id}/follow", p.token) for p in people
            )
            print(f"setup: {args.followers} followers in {time.perf_counter() - t0:.0f} s")
            # the webhook after the follows: 10,000 subscribe deliveries queued ahead would be timed too
            await api._call("PUT", f"/official-accounts/{account_id}/webhook", owner.token,
                            json={"webhook_url": bot_url, "token": "benchtoken1"})  # fmt: skip
            chats = [(p, f["conversation_id"]) for p, f in zip(people, follows, strict=True)]
            await api.befriend(a, b)
            pair_chat = await api.direct(a, b)
            credentials = {"grant_type": "client_credential", "appid": created["account"]["app_id"],
                           "secret": created["app_secret"]}  # fmt: skip
            token = (await http.get("/cgi-bin/token", params=credentials)).json()["access_token"]

            trips, fanouts, before_p99s, during_p99s = [], [], [], []
            for run in range(1, args.runs + 1):
                trips.append(await round_trips(server, chats[: args.users], args.rounds))
                last = sorted(chats, key=lambda pc: pc[0].id)[-args.watch :]  # the fan-out reaches these last
                sockets = await asyncio.gather(*(Socket.open(server.ws_url, p.token) for p, _ in last))
                before: list[float] = []
                stop = asyncio.Event()
                quiet = asyncio.create_task(chat_latency(api, a, b, pair_chat, stop, before))
                await asyncio.sleep(1.0)
                stop.set()
                await quiet
                during: list[float] = []
                stop = asyncio.Event()
                text = f"mass {run} {tag}"
                arrivals = [asyncio.create_task(s.until(from_account(text))) for s in sockets]
                busy = asyncio.create_task(chat_latency(api, a, b, pair_chat, stop, during))
                start = time.perf_counter()
                answer = await http.post("/cgi-bin/message/mass/sendall", params={"access_token": token},
                                         content=json.dumps({"filter": {"is_to_all": True}, "msgtype": "text",
                                                             "text": {"content": text}}))  # fmt: skip
                assert answer.json()["errcode"] == 0, answer.text
                times = await asyncio.wait_for(asyncio.gather(*arrivals), timeout=300)
                stop.set()
                await busy
                fanouts.append(max(times) - start)
                before_p99s.append(p99(before))
                during_p99s.append(p99(during))
                await asyncio.gather(*(s.close() for s in sockets))
                print(
                    f"run {run}: {trips[-1]:.0f} webhook round trips/s; mass send to {args.followers} followers:"
                    f" {fanouts[-1]:.2f} s until the last had it; others' send ack p99"
                    f" {before_p99s[-1] * 1000:.1f} ms before, {during_p99s[-1] * 1000:.1f} ms during"
                )
            print(
                f"medians of {args.runs} runs: {statistics.median(trips):.0f} round trips/s;"
                f" mass send {statistics.median(fanouts):.2f} s; ack p99"
                f" {statistics.median(before_p99s) * 1000:.1f} ms before,"
                f" {statistics.median(during_p99s) * 1000:.1f} ms during"
            )
    finally:
        bot.terminate()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=20, help="followers who write to the bot at once")
    parser.add_argument("--rounds", type=int, default=25, help="texts each of them sends")
    parser.add_argument("--watch", type=int, default=50, help="followers whose sockets wait for the mass send")
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
