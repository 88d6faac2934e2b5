"""``/readyz``: is this node able to serve? A trivial read on the store and a ping on the bus.

``/healthz`` only says the process answers (for a supervisor deciding on a restart); ``/readyz``
is for a load balancer deciding where to send traffic: 503, in the usual error shape, while the
store or the bus cannot be reached, and 200 again as soon as both can.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from kith.bus.base import Bus
from kith.http import errors as http_errors
from kith.jsonenc import encode
from kith.storage.database import Database, Tx

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0  # a check that takes longer counts as a failure


def _select_one(tx: Tx) -> object:
    return tx.value("SELECT 1")


async def _check(name: str, probe: Callable[[], Awaitable[object]]) -> str:
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            await probe()
    except Exception as exc:
        log.warning("readiness: the %s is unreachable: %s", name, exc or type(exc).__name__)
        return "unreachable"
    return "ok"


def readyz_endpoint(db: Database, bus: Bus) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        store, wakeups = await asyncio.gather(_check("store", lambda: db.read(_select_one)), _check("bus", bus.ping))
        checks = {"store": store, "bus": wakeups}
        if store == wakeups == "ok":
            return Response(encode({"ok": True, "checks": checks}), media_type="application/json")
        down = " and the ".join(name for name, state in checks.items() if state != "ok")
        return http_errors.json_error(503, "not_ready", f"the {down} cannot be reached", {"checks": checks})

    return endpoint
