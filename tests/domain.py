"""In-process services on a real SQLite file, with a clock the test moves: no server, no HTTP."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import msgspec

from kith.accounts.models import Caller
from kith.accounts.passwords import Passwords
from kith.accounts.service import AccountService
from kith.bus.memory import MemoryBus
from kith.chats.service import ChatService
from kith.contacts.service import ContactService
from kith.settings import Settings
from kith.storage.sqlite import SqliteDatabase
from kith.sync.service import SyncService, Writer

_ids = itertools.count(1)


class FakeClock:
    def __init__(self, start_ms: int = 1_800_000_000_000) -> None:
        self.ms = start_ms

    def now_ms(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


@dataclass
class Kit:
    db: SqliteDatabase
    bus: MemoryBus
    clock: FakeClock
    settings: Settings
    accounts: AccountService
    contacts: ContactService
    chats: ChatService
    sync: SyncService

    @classmethod
    async def open(cls, path: Path, **settings: object) -> Kit:
        s = Settings(password_time_cost=1, password_memory_kib=8192).replace(**settings)
        db = SqliteDatabase(path)
        db.migrate()
        await db.start()
        bus, clock = MemoryBus(), FakeClock()
        writer = Writer(db, bus, clock)
        return cls(
            db=db,
            bus=bus,
            clock=clock,
            settings=s,
            accounts=AccountService(db, writer, Passwords(1, 8192), clock, True),
            contacts=ContactService(db, writer, s.max_friends),
            chats=ChatService(db, writer, clock, s),
            sync=SyncService(db, s.sync_page_max),
        )

    async def user(self, handle: str | None = None) -> Caller:
        session = await self.accounts.register(handle or f"user{next(_ids)}", "Someone", "password123")
        return Caller(session.user.id, session.device.id)

    async def friends(self, a: Caller, b: Caller) -> None:
        sent = await self.contacts.send_request(a, b.user_id)
        await self.contacts.accept(b, sent["request"].id)

    async def events(self, who: Caller, since: int = 0) -> list[dict]:
        page = await self.sync.sync(who.user_id, since, None)
        return [msgspec.json.decode(e) for e in page.events]
