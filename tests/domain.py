"""In-process services on a real store, with a clock the test moves: no server, no HTTP.

A Kit runs on a SQLite file with the in-process bus, or on a PostgreSQL database with the Redis
bus (the scale-out pair), whichever ``Kit.open`` is given.
"""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from backends import Reader, Store, bus_url, is_postgres, plain

from kith.accounts.deletion import AccountDeletion
from kith.accounts.models import Caller
from kith.accounts.service import AccountService
from kith.bus.memory import MemoryBus
from kith.bus.redis import RedisBus
from kith.chats.service import ChatService
from kith.contacts.service import ContactService
from kith.events.outbox import OutboxWorker
from kith.media.service import MediaService
from kith.moments.service import MomentService
from kith.platform.service import PlatformService
from kith.push.service import PushService
from kith.services import build_services
from kith.settings import Settings
from kith.storage.database import Tx
from kith.storage.postgres import PostgresDatabase
from kith.storage.sqlite import SqliteDatabase
from kith.sync.service import SyncService

_ids = itertools.count(1)
PASSWORD = "plum kettle ferry 41"  # strong enough for the password policy


class FakeClock:
    def __init__(self, start_ms: int = 1_800_000_000_000) -> None:
        self.ms = start_ms

    def now_ms(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


def _rows(tx: Tx, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    # sqlite3.Row is a sequence; psycopg's dict rows keep the columns in order
    return [tuple(plain(v) for v in (row.values() if isinstance(row, dict) else row)) for row in tx.all(sql, params)]


@dataclass
class Kit:
    store: Store  # the SQLite file or the PostgreSQL URL the services run on
    db: SqliteDatabase | PostgresDatabase
    bus: MemoryBus | RedisBus
    clock: FakeClock
    settings: Settings
    accounts: AccountService
    contacts: ContactService
    chats: ChatService
    media: MediaService
    platform: PlatformService
    moments: MomentService
    push: PushService
    sync: SyncService
    outbox: OutboxWorker  # not started: a test starts it (or drains it) when it wants
    deletion: AccountDeletion

    @classmethod
    async def open(cls, store: Store, **settings: object) -> Kit:
        """The services on ``store``: a SQLite path, or a PostgreSQL URL (then with the Redis bus)."""
        # uploads go beside a SQLite store, or to a folder of the test's own
        folder = Path(store).parent if not is_postgres(store) else Path(tempfile.mkdtemp(prefix="kith-kit-"))
        s = Settings(password_time_cost=1, password_memory_kib=8192, data_dir=folder).replace(**settings)
        db: SqliteDatabase | PostgresDatabase
        bus: MemoryBus | RedisBus
        if is_postgres(store):
            db = PostgresDatabase.from_url(str(store), writers=s.database_writers, batch_max=s.database_batch_max)
            bus = RedisBus(bus_url(str(store)))
        else:
            db, bus = SqliteDatabase(Path(store), batch_max=s.write_batch_max), MemoryBus()
        db.migrate()
        await db.start()
        await bus.start()
        clock = FakeClock()
        services = build_services(s, db, bus, clock)
        return cls(
            store=store,
            db=db,
            bus=bus,
            clock=clock,
            settings=s,
            accounts=services.accounts,
            contacts=services.contacts,
            chats=services.chats,
            media=services.media,
            platform=services.platform,
            moments=services.moments,
            push=services.push,
            sync=services.sync,
            outbox=services.outbox,
            deletion=services.deletion,
        )

    async def close(self) -> None:
        await self.outbox.close()
        await self.push.close()
        await self.bus.close()
        await self.db.close()

    @property
    def backend(self) -> str:
        return "postgres" if is_postgres(self.store) else "sqlite"

    async def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (``?`` placeholders) read through the store, as plain tuples."""
        return await self.db.read(_rows, sql, params)

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table (through a connection of its own)."""
        with Reader(self.store) as reader:
            return reader.dump()

    async def user(self, handle: str | None = None) -> Caller:
        session = await self.accounts.register(handle or f"user{next(_ids)}", "Someone", PASSWORD)
        return Caller(session.user.id, session.device.id)

    async def friends(self, a: Caller, b: Caller) -> None:
        handle = (await self.accounts.profile(b.user_id)).handle
        sent = await self.contacts.send_request(a, handle=handle)
        await self.contacts.accept(b, sent["request"].id)

    async def drain(self) -> None:
        """Run the outbox until it is empty (fan-outs, thumbnails, webhooks): bounded."""
        for _ in range(1000):
            if not await self.outbox.drain_once():
                return
        raise AssertionError("the outbox did not drain")

    async def events(self, who: Caller, since: int = 0) -> list[dict]:
        page = await self.sync.sync(who.user_id, since, None)
        return [msgspec.json.decode(e) for e in page.events]
