"""``/cgi-bin/template/*`` and ``message/template/send``: a service account's templates and the
service notifications it sends with them (the library itself: kith.platform.templates).

WeChat's rules, enforced: only service accounts (``48001``); two industries, changed at most once a
calendar month (UTC; ``43100``), a change removes the templates of the industries left; templates of
those industries only (``45027``), 25 at once (``45026``); a send only with a template the account
added (``40037``) and only to a follower (``43004``). Beyond WeChat, one follower receives at most
``rate_platform_template_follower`` of one account's template messages (``45009``). A follower who
muted the account still receives them, silently, as every message of a muted chat (mute never loses
a message).
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any
from urllib.parse import urlsplit

from kith import validation
from kith.chats import access as chats
from kith.chats.models import TEXT
from kith.errors import DomainError, RateLimited
from kith.events import EventLog, Writer
from kith.jsonenc import decode, encode_str
from kith.platform import store, templates
from kith.platform.access import enqueue_delivery
from kith.platform.models import MAX_URL, SERVICE, WeChatError
from kith.ratelimit import Limits
from kith.storage.database import Database, Row, Tx

MAX_TEMPLATES = 25
MAX_TEMPLATE_FIELDS = 20
REPORT = "TEMPLATESENDJOBFINISH"
DELIVERED, FAILED = "success", "failed: system failed"


def _month(now_ms: int) -> int:
    day = datetime.datetime.fromtimestamp(now_ms / 1000, datetime.UTC)
    return day.year * 100 + day.month


def _service(account: Row) -> None:
    if account["kind"] != SERVICE:
        raise WeChatError(48001, "api unauthorized: template messages are for service accounts")


def _industries(account: Row) -> tuple[list[int], int | None]:
    """The account's two industries (none yet: empty) and when they were last changed."""
    saved = decode(account["industry"]) if account["industry"] else {}
    return list(saved.get("industries", [])), saved.get("changed_at")


def _class(number: int) -> dict[str, str]:
    found = templates.INDUSTRIES[number]
    return {"first_class": found.first_class, "second_class": found.second_class}


class TemplateService:
    def __init__(self, db: Database, writer: Writer, limits: Limits, max_text_bytes: int) -> None:
        self.db = db
        self.writer = writer
        self.limits = limits
        self.max_text_bytes = max_text_bytes

    async def set_industry(self, account: Row, body: dict[str, Any]) -> None:
        """``template/api_set_industry``: the account's main and second industry. The first choice is
        free, a change is refused within the calendar month of the last one; the same two again change
        nothing."""
        _service(account)
        chosen = [templates.industry_id(body.get("industry_id1")), templates.industry_id(body.get("industry_id2"))]

        def save(tx: Tx, log: EventLog) -> None:
            row = store.account(tx, account["id"]) or account
            current, changed_at = _industries(row)
            if current == chosen:
                return
            if changed_at is not None and _month(changed_at) == _month(log.now):
                raise WeChatError(43100, "change industry too frequently: once a month (UTC)")
            saved = {"industries": chosen, "changed_at": log.now if current else None}  # the first choice is free
            store.update_account(tx, account["id"], industry=encode_str(saved))
            for kept in store.templates(tx, account["id"]):
                template = templates.added(kept["short_id"])
                if template is None or template.industry not in chosen:
                    store.delete_template(tx, account["id"], kept["template_id"])

        await self.writer.run(save)

    async def get_industry(self, account: Row) -> dict[str, Any]:
        _service(account)
        row = await self.db.read(store.account, account["id"])
        current, _ = _industries(row or account)
        if not current:  # none set yet: empty names rather than missing keys
            empty = {"first_class": "", "second_class": ""}
            return {"primary_industry": empty, "secondary_industry": empty}
        return {"primary_industry": _class(current[0]), "secondary_industry": _class(current[1])}

    async def add(self, account: Row, body: dict[str, Any]) -> dict[str, Any]:
        """``template/api_add_template``: a template of the library, of one of the account's industries,
        optionally with only some of its keywords. Its ``template_id`` is random (no one can guess another
        account's), and the same short id may be added again (a new id)."""
        _service(account)
        template = templates.from_library(body.get("template_id_short")).pick(body.get("keyword_name_list"))
        template_id = secrets.token_urlsafe(32)

        def add(tx: Tx, log: EventLog) -> dict[str, Any]:
            current, _ = _industries(store.account(tx, account["id"]) or account)
            if template.industry not in current:
                wanted = templates.INDUSTRIES[template.industry]
                raise WeChatError(45027, f"template conflict with industry: {template.short_id} is for "
                                         f"{wanted.first_class}/{wanted.second_class} (industry {wanted.id}); set "
                                         "it with template/api_set_industry")  # fmt: skip
            if len(store.templates(tx, account["id"])) >= MAX_TEMPLATES:
                raise WeChatError(45026, f"template size out of limit: an account has at most {MAX_TEMPLATES}")
            store.add_template(tx, account["id"], template_id, template.stored, log.now)
            return {"errcode": 0, "errmsg": "ok", "template_id": template_id}

        return await self.writer.run(add)

    async def private(self, account: Row) -> dict[str, Any]:
        """``template/get_all_private_template``."""
        _service(account)
        out = []
        for row in await self.db.read(store.templates, account["id"]):
            template = templates.added(row["short_id"])
            if template is None:
                continue
            industry = templates.INDUSTRIES[template.industry]
            out.append({
                "template_id": row["template_id"], "title": template.title,
                "primary_industry": industry.first_class, "deputy_industry": industry.second_class,
                "content": template.content, "example": template.example_text,
            })  # fmt: skip
        return {"template_list": out}

    async def delete(self, account: Row, body: dict[str, Any]) -> None:
        """``template/del_private_template``: sends with its id are refused from now on."""
        _service(account)
        template_id = body.get("template_id")

        def delete(tx: Tx, log: EventLog) -> None:
            if not isinstance(template_id, str) or not store.delete_template(tx, account["id"], template_id):
                raise WeChatError(40037, "invalid template_id: the account has no such template")

        await self.writer.run(delete)

    def _recipient(self, tx: Tx, account: Row, template_id: str, openid: str) -> tuple[templates.Template, Row]:
        row = store.template(tx, account["id"], template_id)
        template = templates.added(row["short_id"]) if row is not None else None
        if template is None:
            raise WeChatError(40037, "invalid template_id: add it first with template/api_add_template")
        follow = store.follow_by_openid(tx, account["id"], openid)
        if follow is None:
            raise WeChatError(43004, "require subscribe: this openid does not follow the account")
        return template, follow

    async def send(self, account: Row, body: dict[str, Any]) -> dict[str, Any]:
        """``message/template/send``: a service notification, outside the customer-service window.
        The follower sees the template's title and content with the values of ``data`` (and the
        ``url``); the account's webhook then hears ``TEMPLATESENDJOBFINISH`` with the ``msgid``."""
        _service(account)
        openid, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
        if not isinstance(openid, str):
            raise WeChatError(40003, "invalid openid")
        if not isinstance(template_id, str) or not 0 < len(template_id) <= 64:
            raise WeChatError(40037, "invalid template_id")
        if not isinstance(data, dict) or not 0 < len(data) <= MAX_TEMPLATE_FIELDS:
            raise WeChatError(40035, f"data must have 1 to {MAX_TEMPLATE_FIELDS} fields")
        url = body.get("url") or ""
        if url and (not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or len(url) > MAX_URL):
            raise WeChatError(40035, "url must be an http:// or https:// address")
        template, follow = await self.db.read(self._recipient, account, template_id, openid)
        shown = templates.render(template, data, url)
        try:
            text = validation.message_text(shown, self.max_text_bytes)
        except DomainError as exc:
            raise WeChatError(45002, f"content size out of limit or invalid: {exc.message}") from None
        try:  # counted before the send: a refused send counts nothing
            await self.limits.take("platform_template", f"{account['id']}:{follow['user_id']}")
        except RateLimited as exc:
            raise WeChatError(45009, f"reach max api daily quota limit: {exc.message}") from None

        def send(tx: Tx, log: EventLog) -> int:
            _, follow = self._recipient(tx, account, template_id, openid)
            message = chats.post_from_account(tx, log, account["id"], follow["user_id"], TEXT, text)
            status = DELIVERED if message is not None else FAILED
            msgid = message.id if message is not None else secrets.randbelow(2**53)  # none delivered: a random id
            report = {"MsgType": "event", "Event": REPORT, "MsgID": msgid, "Status": status}
            enqueue_delivery(tx, log, account["id"], follow["user_id"], REPORT, report)
            return msgid

        return {"errcode": 0, "errmsg": "ok", "msgid": await self.writer.run(send)}
