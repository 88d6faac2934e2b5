"""The load generator: worker processes that each drive a share of the WebSocket clients.

A worker receives a ``Job`` (the peers it plays), connects them all, reports ``ready`` and waits
for ``go``; then its senders send (closed loop, a fixed number in flight) while every peer records
the message events pushed to it with their arrival time. When everything expected has arrived (or
the deadline passed) an optional catch-up peer connects and reads its backlog. The worker returns
raw timestamps; the parent process computes the metrics. Times are ``time.perf_counter()``, which
on Linux is the system-wide monotonic clock, so times taken in different processes compare.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from typing import Any

from kith.bench import client

# client id (None: not a message), conversation id, conversation seq, event seq, arrival time
Received = tuple[str | None, int, int, int, float]


@dataclass
class PeerSpec:
    """One WebSocket client: who it is, what it sends (if anything) and what it waits for."""

    token: str
    key: int = -1  # sender number, part of its client ids; -1 for a peer that only receives
    label: int = -1  # which receiver this is, for the checks (e.g. the pair or member number)
    conversation_id: int = 0
    messages: int = 0
    inflight: int = 1
    expect: int = 0  # message events to receive before this peer is done
    record: bool = True  # keep the events pushed to it
    since: int | None = None
    ws_url: str = ""  # the node this client talks to; empty: the job's


@dataclass
class Job:
    ws_url: str
    tag: str  # prefix of every client id of the run
    text: str
    peers: list[PeerSpec]
    timeout: float
    catchup: PeerSpec | None = None  # connects once every peer is done
    connect_concurrency: int = 50


@dataclass
class PeerResult:
    key: int
    label: int
    t_send: list[float]
    t_ack: list[float]  # 0.0: never acknowledged
    errors: list[str]
    received: list[Received]
    messages_received: int
    close_code: int | None = None


@dataclass
class JobResult:
    peers: list[PeerResult] = field(default_factory=list)
    connected: int = 0
    connect_errors: list[str] = field(default_factory=list)
    t_go: float = 0.0
    t_done: float = 0.0
    timed_out: bool = False
    catchup: PeerResult | None = None
    catchup_started: float = 0.0  # before its TCP connect
    catchup_ready: float = 0.0  # when its ready frame arrived
    cpu_s: float = 0.0  # CPU time this worker used from go to done


def client_id(tag: str, key: int, n: int) -> str:
    return f"{tag}-{key}-{n}"


def parse_client_id(value: str | None) -> tuple[str, int, int] | None:
    """(tag, sender key, message number) of a benchmark client id, else None."""
    if value is None:
        return None
    parts = value.rsplit("-", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), int(parts[2])


class Peer:
    def __init__(self, spec: PeerSpec, tag: str, text: str) -> None:
        self.spec = spec
        ids = [client_id(tag, spec.key, n) for n in range(spec.messages)]
        self.frames = [client.send_frame(cid, spec.conversation_id, text) for cid in ids]
        self.number = {cid: n for n, cid in enumerate(ids)}
        self.t_send = [0.0] * spec.messages
        self.t_ack = [0.0] * spec.messages
        self.answered = 0
        self.errors: list[str] = []
        self.received: list[Received] = []
        self.messages_received = 0
        self.slots = asyncio.Semaphore(max(1, spec.inflight))
        self.sent_all = asyncio.Event()
        self.got_all = asyncio.Event()
        self.conn: client.Connection | None = None
        if spec.messages == 0:
            self.sent_all.set()
        if spec.expect <= 0:
            self.got_all.set()

    async def connect(self, ws_url: str) -> None:
        self.conn = await client.connect(ws_url, self.spec.token, self.spec.since, self.on_frame)

    def on_frame(self, frame: client.ServerFrame, arrived: float) -> None:
        kind = frame.type
        if kind == "events":
            for event in frame.events:
                is_message = event.type == "message"
                if is_message:
                    self.messages_received += 1
                if self.spec.record:
                    data = event.data
                    cid = data.client_id if is_message else None
                    self.received.append((cid, data.conversation_id, data.seq, event.seq, arrived))
            if self.messages_received >= self.spec.expect:
                self.got_all.set()
        elif kind == "undecodable":
            self.errors.append(f"a frame the benchmark could not decode: {frame.error}")
        elif kind in ("ack", "error"):
            n = self.number.get(frame.ref or "")
            if n is None:
                self.errors.append(f"unexpected {kind} frame for ref {frame.ref!r}: {frame.error}")
                return
            if kind == "ack":
                self.t_ack[n] = arrived
            else:
                self.errors.append(f"{frame.ref}: {frame.error}")
            self.answered += 1
            self.slots.release()
            if self.answered >= len(self.frames):
                self.sent_all.set()

    async def send_all(self) -> None:
        assert self.conn is not None
        for n, data in enumerate(self.frames):
            await self.slots.acquire()
            self.t_send[n] = time.perf_counter()
            self.conn.send(data)
        await self.sent_all.wait()

    async def done(self) -> None:
        await asyncio.gather(self.send_all(), self.got_all.wait())

    def result(self) -> PeerResult:
        code = self.conn.close_code if self.conn is not None else None
        return PeerResult(
            self.spec.key,
            self.spec.label,
            self.t_send,
            self.t_ack,
            self.errors,
            self.received,
            self.messages_received,
            code,
        )

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


async def _connect_all(peers: list[Peer], job: Job, result: JobResult) -> None:
    limit = asyncio.Semaphore(job.connect_concurrency)

    async def one(peer: Peer) -> None:
        async with limit:
            try:
                await peer.connect(peer.spec.ws_url or job.ws_url)
                result.connected += 1
            except (OSError, TimeoutError, client.ProtocolError) as exc:
                result.connect_errors.append(f"{type(exc).__name__}: {exc or 'no answer in time'}")

    await asyncio.gather(*(one(p) for p in peers))


async def _wait(awaitable: Awaitable[object], deadline: float) -> bool:
    """Await until the deadline (a ``perf_counter`` time); False if it passed first."""
    try:
        await asyncio.wait_for(awaitable, max(0.0, deadline - time.perf_counter()))
        return True
    except TimeoutError:
        return False


async def _run(pipe: Pipe, job: Job) -> JobResult:
    loop = asyncio.get_running_loop()
    result = JobResult()
    peers = [Peer(spec, job.tag, job.text) for spec in job.peers]
    await _connect_all(peers, job, result)
    pipe.send(("ready", result.connected, result.connect_errors[:5], len(result.connect_errors)))
    command = await loop.run_in_executor(None, pipe.recv)
    try:
        if command != "go" or result.connect_errors:
            return result
        result.t_go = time.perf_counter()
        cpu_at_go = time.process_time()
        deadline = result.t_go + job.timeout
        work = asyncio.gather(*(p.done() for p in peers))
        if not await _wait(work, deadline):
            result.timed_out = True
        elif job.catchup is not None:
            catchup = Peer(job.catchup, job.tag, job.text)
            result.catchup_started = time.perf_counter()
            try:
                await asyncio.wait_for(
                    catchup.connect(catchup.spec.ws_url or job.ws_url), max(0.0, deadline - time.perf_counter())
                )
                result.catchup_ready = time.perf_counter()
                result.timed_out = not await _wait(asyncio.ensure_future(catchup.got_all.wait()), deadline)
            except (OSError, TimeoutError, client.ProtocolError) as exc:
                result.connect_errors.append(f"catch-up: {type(exc).__name__}: {exc or 'no answer in time'}")
                result.timed_out = isinstance(exc, TimeoutError)
            result.catchup = catchup.result()
            catchup.close()
        result.t_done = time.perf_counter()
        result.cpu_s = time.process_time() - cpu_at_go
        return result
    finally:
        result.peers = [p.result() for p in peers]
        for peer in peers:
            peer.close()
        await asyncio.sleep(0.05)  # let the close frames go out


def _worker(pipe: Pipe, job: Job) -> None:
    try:
        import uvloop

        runner: Callable[..., JobResult] = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        pipe.send(("done", runner(_run(pipe, job))))
    except BaseException:
        pipe.send(("failed", traceback.format_exc()))
    finally:
        pipe.close()


class LoadError(RuntimeError):
    pass


def run_jobs(
    jobs: list[Job], *, connect_timeout: float, on_ready: Callable[[], object] | None = None
) -> list[JobResult]:
    """Run each job in its own process; all start sending together once every one is ready.

    ``on_ready`` runs in this process between "all connected" and "go" (to sample memory, or to
    start a profiler). Every wait is bounded: by ``connect_timeout`` for connecting, by the jobs'
    own timeout plus a margin for the run.
    """
    ctx = multiprocessing.get_context("spawn")
    workers = []
    for job in jobs:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(child, job), name="kith-bench-load", daemon=True)
        proc.start()
        child.close()
        workers.append((proc, parent))
    try:
        for proc, pipe in workers:
            message = _receive(pipe, connect_timeout + 15, proc)
            if message[0] != "ready":
                raise LoadError(f"a load worker failed while connecting:\n{message[1]}")
            if message[2]:
                for _, p in workers:
                    p.send("stop")
                raise LoadError(f"{message[3]} connections failed, e.g. {message[2][0]}")
        if on_ready is not None:
            on_ready()
        for _, pipe in workers:
            pipe.send("go")
        results: list[JobResult] = []
        run_timeout = max(job.timeout for job in jobs) + 30
        for proc, pipe in workers:
            message = _receive(pipe, run_timeout, proc)
            if message[0] != "done":
                raise LoadError(f"a load worker failed:\n{message[1]}")
            results.append(message[1])
        return results
    finally:
        for proc, pipe in workers:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
            pipe.close()


def _receive(pipe: Pipe, timeout: float, proc: multiprocessing.process.BaseProcess) -> tuple[Any, ...]:
    if not pipe.poll(timeout):
        raise LoadError(f"a load worker gave no answer within {timeout:.0f} s")
    try:
        message = pipe.recv()
    except EOFError:
        raise LoadError(f"a load worker exited with code {proc.exitcode}") from None
    assert isinstance(message, tuple)
    return message
