"""A user's "download my data": their profile, devices, contacts, conversations and messages as a zip.

Everything comes through the same service verbs the API uses, so the export holds exactly what the
user may see: messages from their join on, none hidden from them, recalled ones as recalled.
Messages are read a history page at a time and written straight into the zip, which spills from
memory to a temporary file past ``spool_bytes``: a user with 100,000 messages never has them all
in memory. One export per user at a time, and at most ``most_at_once`` per node: more are refused
with ``RateLimited`` rather than queued.

The zip holds:
``profile.json`` (``{"user", "exported_at"}``), ``devices.json`` (``{"devices"}``),
``contacts.json`` (``{"friends", "requests": {"incoming", "outgoing"}, "blocked"}``: friends with your
remarks, open requests, the people you blocked), ``conversations.json`` (``{"conversations"}``, each
with its ``members`` for a group), ``messages/<conversation id>.json`` (``{"conversation_id",
"messages"}``, oldest first), ``moments.json`` (``{"posts"}``: your Moments posts, newest first, with
what you see of their likes and comments), ``media.json`` (``{"media"}``: your uploads) and, for each
of them, the file itself as ``media/<media id>/<its name>`` (stored as it is, not compressed again).
"""

from __future__ import annotations

import asyncio
import tempfile
import zipfile
from collections.abc import AsyncIterator, Callable
from typing import IO, TYPE_CHECKING, Any

from kith.accounts.models import Caller
from kith.accounts.service import AccountService
from kith.chats.models import GROUP
from kith.clock import Clock
from kith.errors import NotFound, RateLimited
from kith.jsonenc import encode

if TYPE_CHECKING:  # the export reads through the same verbs as the API; build_services hands them in
    from kith.chats.service import ChatService
    from kith.contacts.service import ContactService
    from kith.media.service import MediaService
    from kith.moments.service import MomentService

CHUNK = 64 * 1024


class Export:
    """A finished export: the zip in a temporary file, read back in chunks, then gone."""

    def __init__(self, file: IO[bytes], size: int, filename: str, done: Callable[[], None] = lambda: None) -> None:
        self.file = file
        self.size = size
        self.filename = filename
        self._done = done  # told once the download has ended, however it ended

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            self.file.seek(0)
            while chunk := await asyncio.to_thread(self.file.read, CHUNK):
                yield chunk
        finally:
            self.file.close()
            self._done()


class Exports:
    def __init__(
        self,
        accounts: AccountService,
        contacts: ContactService,
        chats: ChatService,
        media: MediaService,
        moments: MomentService,
        clock: Clock,
        *,
        page: int,
        spool_bytes: int = 1024 * 1024,
        most_at_once: int = 2,
    ) -> None:
        self.accounts = accounts
        self.contacts = contacts
        self.chats = chats
        self.media = media
        self.moments = moments
        self.clock = clock
        self.page = page
        self.spool_bytes = spool_bytes
        self.most_at_once = most_at_once
        self._running: set[int] = set()  # being made: at most most_at_once
        self._open: set[int] = set()  # made or being downloaded: one per user, until the download ends

    async def do_export(self, caller: Caller) -> Export:
        if caller.user_id in self._running or caller.user_id in self._open:
            raise RateLimited("an export of your data is being made already; try again when it is done", retry_after=5)
        if len(self._running) >= self.most_at_once:
            raise RateLimited("the server is busy making other exports; try again in a minute", retry_after=60)
        self._running.add(caller.user_id)
        self._open.add(caller.user_id)
        file = tempfile.SpooledTemporaryFile(max_size=self.spool_bytes)  # noqa: SIM115 - handed to Export
        try:
            handle = await self._write(caller, file)
            size = file.tell()
        except BaseException:
            file.close()
            self._open.discard(caller.user_id)
            raise
        finally:
            self._running.discard(caller.user_id)
        return Export(file, size, f"kith-{handle}-data.zip", done=lambda: self._open.discard(caller.user_id))

    async def _write(self, caller: Caller, file: IO[bytes]) -> str:
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as zf:

            async def put(name: str, value: Any) -> None:
                await asyncio.to_thread(zf.writestr, name, encode(value))

            user = await self.accounts.profile(caller.user_id)
            await put("profile.json", {"user": user, "exported_at": self.clock.now_ms()})
            await put("devices.json", {"devices": await self.accounts.devices(caller)})
            await put(
                "contacts.json",
                {
                    "friends": await self.contacts.friends(caller),
                    "requests": await self.contacts.requests(caller),
                    "blocked": await self.contacts.blocked(caller),
                },
            )
            conversations = await self.chats.conversations(caller)
            listed = []
            for conversation in conversations:
                entry: dict[str, Any] = {"conversation": conversation}
                if conversation.kind == GROUP:
                    entry["members"] = await self.chats.members(caller, conversation.id)
                listed.append(entry)
            await put("conversations.json", {"conversations": listed})
            for conversation in conversations:
                await self._messages(caller, zf, conversation.id)
            await self._posts(caller, zf)
            uploads = await self.media.uploads(caller)
            await put("media.json", {"media": [media for media, _ in uploads]})
            for media, path in uploads:
                name = f"media/{media.id}/{media.name or media.id}"
                await asyncio.to_thread(zf.write, path, name, zipfile.ZIP_STORED)
        return user.handle

    async def _posts(self, caller: Caller, zf: zipfile.ZipFile) -> None:
        """One's own Moments posts, an album page at a time, streamed into ``moments.json``."""
        with zf.open("moments.json", "w", force_zip64=True) as out:
            await asyncio.to_thread(out.write, b'{"posts":[')
            before, first = None, True
            while True:
                page = await self.moments.album(caller, caller.user_id, before, self.moments.caps.page_max)
                if page.posts:
                    body = b",".join(encode(p) for p in page.posts)
                    await asyncio.to_thread(out.write, (b"" if first else b",") + body)
                    first = False
                if page.next is None:
                    break
                before = page.next
            await asyncio.to_thread(out.write, b"]}")

    async def _messages(self, caller: Caller, zf: zipfile.ZipFile, conversation_id: int) -> None:
        """One conversation's messages, a history page at a time, streamed into its zip entry."""
        with zf.open(f"messages/{conversation_id}.json", "w", force_zip64=True) as out:
            await asyncio.to_thread(out.write, b'{"conversation_id":%d,"messages":[' % conversation_id)
            after, first = 0, True
            while True:
                try:
                    page = await self.chats.history(caller, conversation_id, None, after, self.page)
                except NotFound:  # they left it while the export was being made
                    break
                messages = page["messages"]
                if messages:
                    body = b",".join(encode(m) for m in messages)
                    await asyncio.to_thread(out.write, (b"" if first else b",") + body)
                    first = False
                    after = messages[-1].seq
                if not page["has_more"] or not messages:
                    break
            await asyncio.to_thread(out.write, b"]}")
