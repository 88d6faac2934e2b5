"""Official accounts: owners' consoles, and following (docs/platform.md)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from kith.http.api.accounts import Strict
from kith.http.api.fields import AccountDescription as Description
from kith.http.api.fields import AccountName as Name
from kith.http.api.fields import exactly_one
from kith.http.endpoint import Call
from kith.platform.models import (
    ACCOUNT_KINDS,
    MAX_URL,
    MODES,
    AccountCard,
    Articles,
    Console,
    Delivery,
)

Url = Annotated[str, Meta(max_length=MAX_URL)]


class AccountIn(Strict):
    name: Name
    kind: Annotated[
        str,
        Meta(
            description="`subscription` (mass sends once a day) or `service` (template messages; followers get at "
            "most 4 mass sends a month), as in WeChat",
            extra_json_schema={"enum": list(ACCOUNT_KINDS)},
        ),
    ]
    description: Description = ""


class WebhookIn(Strict):
    # compatible and safe mode encrypt: they need the key
    schema_extra = {
        "if": {"properties": {"mode": {"enum": ["compatible", "safe"]}}, "required": ["mode"]},
        "then": {"properties": {"encoding_aes_key": {"minLength": 43}}, "required": ["encoding_aes_key"]},
    }

    webhook_url: Annotated[
        Url,
        Meta(
            description="Your server, where followers' messages and events are delivered (empty: none). Before it is "
            "saved it gets WeChat's `echostr` handshake, which it must answer"
        ),
    ]
    token: Annotated[
        str,
        Meta(
            pattern="^[A-Za-z0-9]{3,32}$",
            description="Your Token, 3 to 32 letters and digits: every delivery is signed with it, as WeChat signs",
        ),
    ]
    encoding_aes_key: Annotated[
        str,
        Meta(
            pattern="^([A-Za-z0-9]{43})?$",
            description="Your EncodingAESKey, 43 letters and digits: deliveries are encrypted with it in `compatible` "
            "and `safe` mode (empty: none, for `plain`)",
        ),
    ] = ""
    mode: Annotated[
        str,
        Meta(
            description="`plain` (messages in clear), `compatible` (in clear and encrypted) or `safe` (encrypted only)",
            extra_json_schema={"enum": list(MODES)},
        ),
    ] = "plain"


class MenuEventIn(Strict):
    schema_extra = exactly_one("key", "url")

    key: Annotated[
        Annotated[str, Meta(max_length=128)] | None, Meta(description="The key of the `click` button tapped")
    ] = None
    url: Annotated[Url | None, Meta(description="The URL of the `view` button tapped")] = None


class ScanIn(Strict):
    ticket: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=64,
            description="The ticket of a QR code the account made (/cgi-bin/qrcode/create), as the code's URL holds it",
        ),
    ]


class SearchQuery(msgspec.Struct):
    q: Annotated[Name, Meta(description="Part of the account's name, in any case")]


class ConsolesOut(msgspec.Struct):
    accounts: Annotated[list[Console], Meta(description="The accounts you own")]


class CardsOut(msgspec.Struct):
    accounts: Annotated[
        list[AccountCard], Meta(description="Up to 20 accounts whose names hold the words: exact, then prefix, first")
    ]


class DeliveriesOut(msgspec.Struct):
    deliveries: Annotated[list[Delivery], Meta(description="The last 100 deliveries to the webhook, newest first")]


class FollowOut(msgspec.Struct):
    account: Annotated[AccountCard, Meta(description="The account, as you see it now")]
    conversation_id: Annotated[int, Meta(description="Your conversation with the account, where its messages arrive")]


def _id(call: Call) -> int:
    return call.path["account_id"]


async def create(call: Call) -> Any:
    b: AccountIn = call.body
    return await call.services.platform.create_account(call.caller, b.name, b.kind, b.description), 201


async def mine(call: Call) -> ConsolesOut:
    return ConsolesOut(await call.services.platform.accounts(call.caller))


async def console(call: Call) -> Console:
    return await call.services.platform.console(call.caller, _id(call))


async def reset_secret(call: Call) -> Any:
    return await call.services.platform.reset_secret(call.caller, _id(call))


async def set_webhook(call: Call) -> Console:
    b: WebhookIn = call.body
    return await call.services.platform.set_webhook(
        call.caller, _id(call), b.webhook_url, b.token, b.encoding_aes_key, b.mode
    )


async def deliveries(call: Call) -> DeliveriesOut:
    return DeliveriesOut(await call.services.platform.deliveries(call.caller, _id(call)))


async def search(call: Call) -> CardsOut:
    return CardsOut(await call.services.platform.search(call.caller, call.query.q))


async def account(call: Call) -> AccountCard:
    return await call.services.platform.account_card(call.caller, _id(call))


async def follow(call: Call) -> FollowOut:
    return FollowOut(**await call.services.platform.follow(call.caller, _id(call)))


async def unfollow(call: Call) -> None:
    await call.services.platform.unfollow(call.caller, _id(call))


async def menu_event(call: Call) -> None:
    b: MenuEventIn = call.body
    await call.services.platform.menu_event(call.caller, _id(call), b.key, b.url)


async def scan(call: Call) -> FollowOut:
    return FollowOut(**await call.services.platform.scan(call.caller, call.body.ticket))


async def set_avatar(call: Call) -> Console:
    return await call.services.platform.set_avatar(call.caller, _id(call), call.body.media_id)


async def remove_avatar(call: Call) -> Console:
    return await call.services.platform.set_avatar(call.caller, _id(call), None)


async def articles(call: Call) -> Articles:
    return await call.services.platform.read_articles(call.caller, call.path["media_id"])
