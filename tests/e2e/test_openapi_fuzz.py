"""schemathesis against the server's own /openapi.json, signed in, on a real server.

For every operation of the document, requests generated from its schema (valid ones, then invalid
ones) go to a running server with a bearer token. Each answer must be no 5xx, a documented status
with a body in the documented schema (every error in the one ``Error`` shape), and for a valid
request no refusal (400) the schema did not foresee: the document states the limits the services
enforce. Bounded: a fixed number of examples per operation and a deadline per example.

What a schema cannot say (a rule about who asks, or about the current state) is listed in
``UNSAYABLE``; a 400 for anything else on a schema-valid request fails the test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from backends import fresh_store, scale_out_env
from helpers import PASSWORD, Server
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks as st

from kith.http.routes import ENDPOINTS

# per operation and mode: ~70 operations-and-modes in well under a minute per backend; a longer hunt,
# with fresh examples each run: KITH_FUZZ_EXAMPLES=500 KITH_FUZZ_RANDOM=1
EXAMPLES = int(os.environ.get("KITH_FUZZ_EXAMPLES", "25"))
RANDOM = os.environ.get("KITH_FUZZ_RANDOM") == "1"
DEADLINE = timedelta(seconds=5)  # per example; a request takes milliseconds, so this only catches a hang

# (method, path, error code, field): schema-valid requests that are rightly refused, for reasons
# that are not about the request's shape
UNSAYABLE = {
    ("POST", "/api/v1/friend-requests", "self_request", "user_id"),  # your own id
    ("PUT", "/api/v1/blocks/{user_id}", "invalid", "user_id"),  # yourself
    ("POST", "/api/v1/conversations/direct", "invalid", "user_id"),  # yourself
    ("POST", "/api/v1/conversations/groups", "invalid", "user_ids"),  # only yourself
    ("DELETE", "/api/v1/conversations/{conversation_id}/members/{user_id}", "invalid", "user_id"),  # yourself
    ("GET", "/api/v1/conversations/{conversation_id}/messages", "invalid", "before"),  # before and after
    ("GET", "/api/v1/sync", "since_ahead", None),  # past the head of your log
    ("GET", "/api/v1/search/messages", "nothing_to_find", "q"),  # punctuation only: no word to look for
    ("POST", "/api/v1/moments/posts", "not_friends", "people"),  # an audience names your friends only
    ("POST", "/api/v1/conversations/{conversation_id}/messages", "not_a_member", "mentions"),  # the group's members
    # a push endpoint's host must be a push service's on the internet (not 10.0.0.1, not a bare
    # name), and a browser's key a point of the P-256 curve: no pattern says either
    ("POST", "/api/v1/push/subscriptions", "endpoint_refused", "endpoint"),
    ("POST", "/api/v1/push/subscriptions", "invalid", "keys.p256dh"),
    # an upload: its kind in the query or in the form (either will do), and content that is what it
    # says it is (no schema can tell a JPEG from bytes that only start like one)
    ("POST", "/api/v1/media", "invalid", "kind"),
    ("POST", "/api/v1/media", "missing_body", None),
    ("POST", "/api/v1/media", "invalid_image", None),
    ("POST", "/api/v1/media", "invalid_audio", None),
    ("POST", "/api/v1/media", "invalid_multipart", None),
    ("POST", "/api/v1/media", "invalid_name", "name"),
}
# the operations that can end the caller's session
SIGN_OUTS = {"sign_out", "revoke_device", "change_password"}
NOT_A_GROUP = "not_a_group"  # a group verb on a direct conversation: which kind an id is, is state
STRENGTH_FIELDS = {"password", "new_password"}  # a password policy beyond its length is no schema's to state

CHECKS = [
    not_a_server_error,
    st.status_code_conformance,
    st.content_type_conformance,
    st.response_schema_conformance,
    st.ignored_auth,
]

OPERATIONS = [(e.method, re.sub(r"\{(\w+):\w+\}", r"{\1}", e.path)) for e in ENDPOINTS]


@dataclass
class Fuzz:
    server: Server
    schema: Any
    handle: str
    token: str
    session: requests.Session

    def sign_in(self) -> None:
        response = httpx.post(
            self.server.url + "/api/v1/sessions", json={"handle": self.handle, "password": PASSWORD}, timeout=30
        )
        assert response.status_code == 201, response.text
        self.token = response.json()["token"]

    def signed_in(self) -> bool:
        me = self.session.get(self.server.url + "/api/v1/me", headers=self.headers())
        return me.status_code == 200

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _post(server: Server, path: str, body: Any, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(server.url + "/api/v1" + path, json=body, headers=headers, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture(scope="module")
def fuzz_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server for the module, whose per-account limit on new sign-ins does not stop the fuzz (which
    signs its caller in again after each request that may have signed it out)."""
    folder = tmp_path_factory.mktemp(f"fuzz-{backend}")
    with fresh_store(backend, folder / "data" / "kith.db") as store:
        env = scale_out_env(str(store)) if backend == "postgres" else {}
        srv = Server(folder / "data", {**env, "KITH_RATE_NEW_DEVICE_USER": "off"}).start()
        yield srv
        srv.stop()


@pytest.fixture(scope="module")
def fuzz(fuzz_server: Server) -> Iterator[Fuzz]:
    """A caller with something to act on: a friend, a direct chat with a message, a group, a request."""
    server = fuzz_server
    me, pal, asker = [
        _post(server, "/accounts", {"handle": h, "display_name": h, "password": PASSWORD})
        for h in ("fuzz_caller_qzx", "fuzz_pal_qzx", "fuzz_asker_qzx")
    ]
    asked = _post(server, "/friend-requests", {"handle": "fuzz_pal_qzx"}, me["token"])
    _post(server, f"/friend-requests/{asked['request']['id']}/accept", {}, pal["token"])
    chat = _post(server, "/conversations/direct", {"user_id": pal["user"]["id"]}, me["token"])
    _post(server, f"/conversations/{chat['id']}/messages", {"id": "m1", "text": "hello"}, me["token"])
    _post(server, "/conversations/groups", {"name": "fuzzed", "user_ids": [pal["user"]["id"]]}, me["token"])
    _post(server, "/friend-requests", {"handle": "fuzz_caller_qzx", "greeting": "hi"}, asker["token"])
    document = httpx.get(server.url + "/openapi.json", timeout=30).json()
    document["paths"].pop("/api/v1/ws")  # the WebSocket: not HTTP requests and answers
    schema = schemathesis.openapi.from_dict(document)
    with requests.Session() as session:
        yield Fuzz(server, schema, "fuzz_caller_qzx", me["token"], session)


def integers(value: Any) -> Any:
    """``value`` with integral floats written as integers. JSON Schema counts ``1.0`` as an integer;
    the API refuses it for one (as its document says, and tests/e2e/test_bad_input.py checks)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integers(v) for v in value]
    return value


def as_integers(case: Any) -> Any:
    for part in ("body", "query", "path_parameters"):
        value = getattr(case, part, None)
        if isinstance(value, dict | list):
            setattr(case, part, integers(value))
    return case


def foreseen(method: str, path: str, response: Any) -> bool:
    """A 400 to a schema-valid request that the schema could not have foreseen."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    code, field = error.get("code"), error.get("field")
    return (
        (method, path, code, field) in UNSAYABLE
        or (method, path, code, None) in UNSAYABLE
        or code == NOT_A_GROUP
        or field in STRENGTH_FIELDS
    )


def test_the_fuzz_covers_every_operation_of_the_document(fuzz: Fuzz) -> None:
    documented = {(m.upper(), p) for p, ops in fuzz.schema.raw_schema["paths"].items() for m in ops}
    assert documented == set(OPERATIONS)


# operations with no parameter, body or credentials: there is no wrong request to make of them
NOTHING_TO_GET_WRONG = {("GET", "/api/v1/server")}
CASES = [
    (operation, mode)
    for operation in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or operation not in NOTHING_TO_GET_WRONG
]


@pytest.mark.parametrize(
    ("operation", "mode"), CASES, ids=[f"{m} {p.removeprefix('/api/v1')}-{mode}" for (m, p), mode in CASES]
)
def test_generated_requests_get_documented_answers(
    fuzz: Fuzz, operation: tuple[str, str], mode: GenerationMode
) -> None:
    method, path = operation
    api = fuzz.schema[path][method]

    strategy = api.as_strategy(generation_mode=mode)

    @given(case=strategy.map(as_integers) if mode is GenerationMode.POSITIVE else strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=DEADLINE,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
    )
    def run(case: Any) -> None:
        if path.endswith("/webhook") and isinstance(case.body, dict) and case.body.get("webhook_url"):
            case.body["webhook_url"] = ""  # a generated URL would be fetched (the handshake): no traffic leaves
        response = case.call(base_url=fuzz.server.url, session=fuzz.session, headers=fuzz.headers())
        case.validate_response(response, checks=CHECKS, headers=fuzz.headers())
        if mode is GenerationMode.POSITIVE and response.status_code == 400:
            assert foreseen(method, path, response), f"a schema-valid request was refused: {response.text}"
        if api.definition.raw.get("operationId") in SIGN_OUTS and not fuzz.signed_in():  # sign in again
            fuzz.sign_in()

    run()
