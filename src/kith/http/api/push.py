"""Web Push: the server's VAPID key, this device's push subscription, and whether pushes show text (docs/push.md)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from kith.http.api.accounts import Strict
from kith.http.api.fields import ecma
from kith.http.endpoint import Call
from kith.push.models import AUTH, MAX_ENDPOINT, P256DH, Subscription

Endpoint = Annotated[
    str,
    Meta(
        description="The push service's URL for this browser, as PushSubscription gives it: https:// on the"
        " default port, a host on the internet (`push_allow_insecure_endpoints` also allows http:// to loopback)",
        extra_json_schema={"pattern": "^https://[!-~]+$", "maxLength": MAX_ENDPOINT},
    ),
]
P256dh = Annotated[
    str, Meta(description="The browser's P-256 public key (uncompressed), URL-safe base64",
              extra_json_schema={"pattern": ecma(P256DH)})
]  # fmt: skip
AuthSecret = Annotated[
    str,
    Meta(description="The browser's 16-byte auth secret, URL-safe base64", extra_json_schema={"pattern": ecma(AUTH)}),
]


class PushKeysIn(Strict):
    p256dh: P256dh
    auth: AuthSecret


class PushSubscriptionIn(Strict):
    """``PushSubscription.toJSON()`` as the browser gives it, for this device: a second one replaces
    the first. At most 10 devices of a user take pushes."""

    endpoint: Endpoint
    keys: Annotated[PushKeysIn, Meta(description="The subscription's keys, as the browser gives them")]
    expirationTime: Annotated[
        int | None,
        Meta(description="When the browser says the subscription ends, milliseconds since the Unix epoch (not used)"),
    ] = None


class PushSettingsIn(Strict):
    """``previews``: pushes may show the sender's name and the message's text (off: only "New message")."""

    previews: Annotated[
        bool, Meta(description="Let pushes show the sender's name and the message's text (false: only “New message”)")
    ]


class SubscriptionsOut(msgspec.Struct):
    subscriptions: Annotated[list[Subscription], Meta(description="Your devices that take pushes")]


async def key(call: Call) -> Any:
    return await call.services.push.key()


async def subscribe(call: Call) -> tuple[Any, int]:
    b: PushSubscriptionIn = call.body
    subscription, new = await call.services.push.subscribe(call.caller, b.endpoint, b.keys.p256dh, b.keys.auth)
    return subscription, 201 if new else 200


async def subscriptions(call: Call) -> SubscriptionsOut:
    return SubscriptionsOut(await call.services.push.subscriptions(call.caller))


async def unsubscribe(call: Call) -> None:
    await call.services.push.unsubscribe(call.caller)


async def settings(call: Call) -> Any:
    return await call.services.push.settings(call.caller)


async def set_settings(call: Call) -> Any:
    b: PushSettingsIn = call.body
    return await call.services.push.set_settings(call.caller, b.previews)
