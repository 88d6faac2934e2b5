"""The hot paths run a fixed number of statements: the chat list whatever the number of conversations,
a send, a sync page. A change that adds a statement per conversation (or per send) fails here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from domain import Kit

from kith.accounts.models import Caller
from kith.services import Services, build_services
from kith.storage.database import Database


class CountingTx:
    """A transaction that counts the statements run through it."""

    def __init__(self, tx: Any, statements: list[str]) -> None:
        self._tx = tx
        self._statements = statements
        self.dialect = tx.dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._statements.append(sql)
        return int(self._tx.execute(sql, params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._statements.append(sql)
        self._tx.executemany(sql, rows)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._statements.append(sql)
        return self._tx.one(sql, params)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        self._statements.append(sql)
        return list(self._tx.all(sql, params))

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._statements.append(sql)
        return self._tx.value(sql, params)


class CountingDatabase:
    """The real store, with every statement of every read and write job recorded."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.statements: list[str] = []

    def _counted(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda tx, *args: fn(CountingTx(tx, self.statements), *args)

    def write(self, fn: Callable[..., Any], *args: Any, order_key: int | None = None) -> Any:
        return self.db.write(self._counted(fn), *args, order_key=order_key)

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self.db.read(self._counted(fn), *args)

    async def close(self) -> None:
        await self.db.close()

    def take(self) -> list[str]:
        taken, self.statements = self.statements, []
        return taken


def counted(kit: Kit) -> tuple[Services, CountingDatabase]:
    db = CountingDatabase(kit.db)
    return build_services(kit.settings, db, kit.bus, kit.clock), db  # type: ignore[arg-type]


async def world(kit: Kit, directs: int, groups: int) -> tuple[Caller, list[Caller]]:
    """A user with ``directs`` direct conversations and ``groups`` groups, each with an unread message."""
    me = await kit.user()
    friends = [await kit.user() for _ in range(max(directs, 2))]
    for friend in friends:
        await kit.friends(me, friend)
    for n, friend in enumerate(friends[:directs]):
        direct = await kit.chats.open_direct(me, friend.user_id)
        await kit.chats.send(friend, direct.id, f"d{n}", "hello")
    made = await asyncio.gather(
        *(kit.chats.create_group(me, f"group {n}", [friends[n % 2].user_id]) for n in range(groups))
    )
    await asyncio.gather(*(kit.chats.send(friends[n % 2], g.id, f"g{n}", "hi all") for n, g in enumerate(made)))
    return me, friends


async def test_the_chat_list_costs_the_same_statements_for_3_or_1000_conversations(make_kit: Any) -> None:
    counts = {}
    for directs, groups in ((1, 2), (100, 900)):
        # one user making 900 groups at once, and two of them sending 450 messages each, is no one's day
        kit = await make_kit(**{f"rate_{name}": "off" for name in ("group_user", "send_user", "send_device")})
        me, _ = await world(kit, directs, groups)
        services, db = counted(kit)
        listed = await services.chats.conversations(me)
        # a chat with each friend (the friendship opens it), only the first ones written in
        assert len(listed) == max(directs, 2) + groups
        assert sum(c.unread == 1 and c.last_message is not None for c in listed) == directs + groups
        assert sum(c.peer is not None for c in listed) == max(directs, 2)
        assert all(c.last_sender is not None for c in listed if c.kind == "group")  # read with the peers
        counts[directs + groups] = len(db.take())
    assert counts == {3: 3, 1000: 3}, "the conversations, the peers' and last senders' profiles, the remarks"


async def test_one_conversation_costs_as_few(kit: Kit) -> None:
    me, friends = await world(kit, 1, 1)
    services, db = counted(kit)
    direct = await services.chats.open_direct(me, friends[0].user_id)
    db.take()
    assert (await services.chats.conversation(me, direct.id)).peer is not None
    assert len(db.take()) == 3


async def test_a_send_costs_a_fixed_number_of_statements(kit: Kit) -> None:
    me, friends = await world(kit, 2, 0)
    services, db = counted(kit)
    direct = await services.chats.open_direct(me, friends[0].user_id)
    group = await services.chats.create_group(me, "three", [f.user_id for f in friends])
    db.take()
    await services.chats.send(me, direct.id, "x1", "direct")
    direct_statements = db.take()
    await services.chats.send(me, group.id, "x2", "group")
    group_statements = db.take()
    if kit.backend == "postgres":
        # a plain text is one call of the send function (migration 0015), its events included
        assert direct_statements == group_statements == ["SELECT * FROM kith_send_text(?, ?, ?, ?, ?, ?)"]
        general = 1  # the function's answer that this send needs the general path
    else:
        # client id, membership, relation, seq, insert, search tokens, read mark, who of the others takes
        # pushes (docs/push.md), then the log: one update advancing every recipient's counter, one insert
        assert len(direct_statements) == 8 + 2, direct_statements
        # client id, membership, members, seq, insert, search tokens, read mark, who takes pushes, the log
        assert len(group_statements) == 8 + 2, group_statements
        general = 0
    await services.chats.send(me, group.id, "x2", "group")  # a resend: found by its client id, nothing else
    assert len(db.take()) == general + 1
    # a reply goes straight to the general path on both: the same statements plus the quoted message's,
    # then the log (on PostgreSQL one statement advancing the counters and inserting the events)
    await services.chats.send(me, direct.id, "x3", "a reply", reply_to=1)
    assert len(db.take()) == 9 + (2 if kit.backend == "sqlite" else 1)


async def test_a_sync_page_costs_a_fixed_number_of_statements(kit: Kit) -> None:
    me, _ = await world(kit, 20, 20)
    services, db = counted(kit)
    page = await services.sync.sync(me.user_id, 0, None)
    assert len(page.events) > 60
    assert len(db.take()) == 3, "the page, the messages it refers to, the head"


async def test_checking_who_may_join_a_group_costs_the_same_for_2_or_20(kit: Kit) -> None:
    me, friends = await world(kit, 20, 0)
    services, db = counted(kit)
    counts = []
    for invitees in (friends[:2], friends[:20]):
        await services.chats.create_group(me, "checked", [f.user_id for f in invitees])
        counts.append(sum(" FROM friendships " in s or " FROM blocks " in s for s in db.take()))
    assert counts == [3, 3], "friends, blocked, blocked by: one statement each"
