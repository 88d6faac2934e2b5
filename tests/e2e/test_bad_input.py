"""Invariant 6, bad input gets a clear error and changes nothing, against a real server.

Every case below is sent over real HTTP (or a real WebSocket) to a running server. Each must be
answered with its 4xx (never a 5xx) and the JSON shape ``{"error": {"code": str, "message": str}}``,
the server must log no error, and every row of every table of the server's SQLite file must be
the same afterwards as before.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest
import pytest_asyncio
import websockets
from e2e.dbsnapshot import LogWatch, no_change, unchanged
from helpers import PASSWORD, Server, User, direct, register
from pushservice import Receiver

from kith.http.bodies import UPLOAD
from kith.http.routes import ENDPOINTS

pytestmark = pytest.mark.asyncio(loop_scope="module")

MISSING = 987_654_321  # an id that exists in no table
MAX_BODY = 64 * 1024
MAX_TEXT = 16 * 1024
JSON_TYPE = {"Content-Type": "application/json"}  # bodies go as bytes; what they claim to be is JSON


@dataclass
class World:
    server: Server
    alice: User  # the caller of every case: friends with bob, owns the group
    bob: User
    carol: User  # a stranger who asked alice to be friends
    ids: dict[str, int]  # what the {placeholders} of the cases stand for


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(shared_server: Server) -> AsyncIterator[World]:
    server = shared_server
    alice, bob, carol = [await register(server, f"bad_{who}") for who in ("alice", "bob", "carol")]
    asked = await alice.ok("POST", "/friend-requests", json={"handle": bob.handle})
    await bob.ok("POST", f"/friend-requests/{asked['request']['id']}/accept")
    conversation = await direct(alice, bob)
    await alice.ok("POST", f"/conversations/{conversation}/messages", json={"id": "a1", "text": "first"})
    group = await alice.ok("POST", "/conversations/groups", json={"name": "G", "user_ids": [bob.id]})
    request = await carol.ok("POST", "/friend-requests", json={"handle": alice.handle, "greeting": "hi"})
    device = await alice.new_device("second device")
    yield World(
        server,
        alice,
        bob,
        carol,
        {
            "alice": alice.id,
            "bob": bob.id,
            "carol": carol.id,
            "direct": conversation,
            "group": group["id"],
            "request": request["request"]["id"],
            "accepted": asked["request"]["id"],
            "device": device.device_id,
            "missing": MISSING,
        },
    )
    for user in (alice, bob, carol, device):
        await user.aclose()


def assert_error(response: httpx.Response, status: int | None, code: str | None, field: str | None = None) -> None:
    """A 4xx (exactly ``status`` when given) with the one JSON error shape (and ``code`` when given)."""
    assert 400 <= response.status_code < 500, f"{response.status_code} {response.text[:300]}"
    if status is not None:
        assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict) and list(body) == ["error"], body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    if code is not None:
        assert error["code"] == code, body
    if field is not None:
        assert error.get("field") == field, body


# -- the table of bad requests -----------------------------------------------------------------------

NO_BODY = object()


@dataclass(frozen=True)
class Bad:
    method: str
    path: str  # {direct}, {group}, {alice}, {bob}, {carol}, {request}, {accepted}, {device}, {missing}
    body: Any = NO_BODY  # bytes go as they are; anything else as JSON with \u escapes (so lone surrogates survive)
    params: dict[str, Any] | None = None
    status: int | None = 400  # None: any 4xx
    code: str | None = "invalid"  # None: any code
    field: str | None = None

    def content(self) -> bytes | None:
        if self.body is NO_BODY:
            return None
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, ensure_ascii=True).encode()


def case(case_id: str, method: str, path: str, body: Any = NO_BODY, **expect: Any) -> Any:
    return pytest.param(Bad(method, path, body, **expect), id=case_id)


SEND = "/conversations/{direct}/messages"
READ = "/conversations/{direct}/read"
HISTORY = "/conversations/{direct}/messages"
GROUP = "/conversations/{group}"


_BROWSER = Receiver("https://push.example.com/wpush/x").subscription()


def push_body(endpoint: str = "https://push.example.com/wpush/x", **keys: str) -> dict[str, Any]:
    """A browser's subscription, with ``endpoint`` and any of its ``keys`` changed."""
    return {"endpoint": endpoint, "keys": {**_BROWSER["keys"], **keys}}


def signup(**fields: Any) -> dict[str, Any]:
    return {"handle": "fresh_handle", "display_name": "Fresh", "password": PASSWORD, **fields}


CASES = [
    # missing fields
    case("register_empty_object", "POST", "/accounts", {}),
    case("register_no_password", "POST", "/accounts", {"handle": "fresh_handle", "display_name": "F"}),
    case("sign_in_no_password", "POST", "/sessions", {"handle": "bad_alice"}),
    case("password_no_old", "POST", "/me/password", {"new_password": "long enough password"}),
    case("profile_nothing", "PATCH", "/me", {}),
    case("request_no_user", "POST", "/friend-requests", {"greeting": "hi"}),
    case("remark_missing", "PATCH", "/friends/{bob}", {}),
    case("direct_no_user", "POST", "/conversations/direct", {}),
    case("group_no_users", "POST", "/conversations/groups", {"name": "x"}),
    case("group_update_nothing", "PATCH", GROUP, {}),
    case("prefs_nothing", "PATCH", GROUP + "/prefs", {}),
    case("prefs_only_nulls", "PATCH", GROUP + "/prefs", {"muted": None, "pinned": None}),
    case("read_no_seq", "POST", READ, {}),
    case("members_no_users", "POST", GROUP + "/members", {}),
    case("send_no_id", "POST", SEND, {"text": "hi"}),
    case("send_no_text", "POST", SEND, {"id": "x1"}),
    # wrong types
    case("read_seq_string", "POST", READ, {"seq": "1"}, field="seq"),
    case("read_seq_null", "POST", READ, {"seq": None}, field="seq"),
    case("read_seq_bool", "POST", READ, {"seq": True}, field="seq"),
    case("read_seq_float", "POST", READ, {"seq": 1.5}, field="seq"),
    case("read_seq_integral_float", "POST", READ, b'{"seq": 1.0}', field="seq"),
    case("read_seq_exponent", "POST", READ, b'{"seq": 1e3}', field="seq"),
    case("read_seq_array", "POST", READ, {"seq": [1]}, field="seq"),
    case("read_seq_object", "POST", READ, {"seq": {"n": 1}}, field="seq"),
    case("send_text_int", "POST", SEND, {"id": "x1", "text": 5}, field="text"),
    case("send_text_null", "POST", SEND, {"id": "x1", "text": None}, field="text"),
    case("send_text_array", "POST", SEND, {"id": "x1", "text": ["a"]}, field="text"),
    case("send_id_int", "POST", SEND, {"id": 1, "text": "hi"}, field="id"),
    case("send_reply_to_string", "POST", SEND, {"id": "x1", "text": "hi", "reply_to": "1"}, field="reply_to"),
    case("send_reply_to_bool", "POST", SEND, {"id": "x1", "text": "hi", "reply_to": True}, field="reply_to"),
    case("direct_user_string", "POST", "/conversations/direct", {"user_id": "2"}, field="user_id"),
    case("direct_user_bool", "POST", "/conversations/direct", {"user_id": True}, field="user_id"),
    case("direct_user_null", "POST", "/conversations/direct", {"user_id": None}, field="user_id"),
    case("group_users_string", "POST", "/conversations/groups", {"user_ids": "1,2"}, field="user_ids"),
    case("group_users_strings", "POST", "/conversations/groups", {"user_ids": ["1"]}, field="user_ids"),
    case("group_users_bools", "POST", "/conversations/groups", {"user_ids": [True]}, field="user_ids"),
    case("group_users_objects", "POST", "/conversations/groups", {"user_ids": [{"id": 1}]}, field="user_ids"),
    case("group_name_int", "POST", "/conversations/groups", {"user_ids": [1], "name": 5}, field="name"),
    case("group_update_name_int", "PATCH", GROUP, {"name": 1}, field="name"),
    case("group_update_owner_string", "PATCH", GROUP, {"owner_id": "x"}, field="owner_id"),
    case("group_update_flag_string", "PATCH", GROUP, {"owner_only_adds": "true"}, field="owner_only_adds"),
    case("group_update_flag_int", "PATCH", GROUP, {"owner_only_adds": 1}, field="owner_only_adds"),
    case("prefs_muted_string", "PATCH", GROUP + "/prefs", {"muted": "yes"}, field="muted"),
    case("prefs_pinned_int", "PATCH", GROUP + "/prefs", {"pinned": 0}, field="pinned"),
    case("register_handle_int", "POST", "/accounts", signup(handle=12345), field="handle"),
    case("register_password_int", "POST", "/accounts", signup(password=12345678), field="password"),
    case("register_name_null", "POST", "/accounts", signup(display_name=None), field="display_name"),
    case("register_device_array", "POST", "/accounts", signup(device_name=["x"]), field="device_name"),
    case("sign_in_handle_int", "POST", "/sessions", {"handle": 1, "password": PASSWORD}, field="handle"),
    case("request_user_string", "POST", "/friend-requests", {"user_id": "x"}, field="user_id"),
    case("request_user_float", "POST", "/friend-requests", {"user_id": 1.5}, field="user_id"),
    case("request_greeting_int", "POST", "/friend-requests", {"user_id": 1, "greeting": 5}, field="greeting"),
    case("remark_null", "PATCH", "/friends/{bob}", {"remark": None}, field="remark"),
    case("remark_int", "PATCH", "/friends/{bob}", {"remark": 5}, field="remark"),
    case("profile_name_int", "PATCH", "/me", {"display_name": 5}, field="display_name"),
    case("body_is_null", "POST", READ, b"null"),
    case("body_is_array", "POST", READ, b"[]"),
    case("body_is_string", "POST", READ, b'"seq"'),
    case("body_is_number", "POST", READ, b"1"),
    case("body_is_deeply_nested", "POST", READ, b"[" * 10_000 + b"]" * 10_000),
    case("field_is_deeply_nested", "POST", "/conversations/groups", {"user_ids": [[[[[[[[1]]]]]]]]}),
    # unknown fields
    case("register_unknown_field", "POST", "/accounts", signup(admin=True)),
    case("send_unknown_field", "POST", SEND, {"id": "x1", "text": "hi", "sender_id": 1}),
    case("read_unknown_field", "POST", READ, {"seq": 1, "extra": 1}),
    case("prefs_unknown_field", "PATCH", GROUP + "/prefs", {"muted": True, "owner_id": 1}),
    case("profile_unknown_field", "PATCH", "/me", {"display_name": "x", "handle": "bad_root"}),
    # malformed JSON, empty bodies, bad encodings
    case("json_truncated", "POST", READ, b'{"seq": 1', code="invalid_json"),
    case("json_missing_value", "POST", READ, b'{"seq": }', code="invalid_json"),
    case("json_trailing_garbage", "POST", READ, b'{"seq": 1} {"seq": 2}', code="invalid_json"),
    case("json_single_quotes", "POST", READ, b"{'seq': 1}", code="invalid_json"),
    case("json_nan", "POST", READ, b'{"seq": NaN}', code="invalid_json"),
    case("json_comment", "POST", READ, b'{"seq": 1 /* one */}', code="invalid_json"),
    case("json_bom", "POST", READ, b'\xef\xbb\xbf{"seq": 1}', code="invalid_json"),
    case("json_raw_control_char", "POST", SEND, b'{"id": "x1", "text": "a\x01b"}', code="invalid_json"),
    case("json_utf16", "POST", READ, '{"seq": 1}'.encode("utf-16"), code="invalid_json"),
    case("body_empty", "POST", READ, b"", code="missing_body"),
    case("body_whitespace", "POST", READ, b" \r\n\t ", code="missing_body"),
    case("body_absent", "POST", SEND, code="missing_body"),
    case("utf8_invalid_byte", "POST", SEND, b'{"id": "x1", "text": "a\xffb"}', code="invalid_json"),
    case("utf8_overlong", "POST", SEND, b'{"id": "x1", "text": "\xc0\xaf"}', code="invalid_json"),
    case("utf8_truncated", "POST", SEND, b'{"id": "x1", "text": "\xe2\x82"}', code="invalid_json"),
    case("utf8_encoded_surrogate", "POST", SEND, b'{"id": "x1", "text": "\xed\xa0\x80"}', code="invalid_json"),
    case("utf8_invalid_in_key", "POST", READ, b'{"seq": 1, "\xff": 1}', code="invalid_json"),
    # lone surrogate escapes
    case("surrogate_text", "POST", SEND, {"id": "x1", "text": "a\ud800b"}, code="invalid_json"),
    case("surrogate_low_text", "POST", SEND, {"id": "x1", "text": "\udfff"}, code="invalid_json"),
    case("surrogate_at_end", "POST", SEND, {"id": "x1", "text": "hi\ud83d"}, code="invalid_json"),
    case("surrogate_display_name", "PATCH", "/me", {"display_name": "\ud800"}, code="invalid_json"),
    case("surrogate_handle", "POST", "/accounts", signup(handle="a\udc00b"), code="invalid_json"),
    case("surrogate_password", "POST", "/accounts", signup(password="long\ud800password"), code="invalid_json"),
    case(
        "surrogate_sign_in", "POST", "/sessions", {"handle": "bad_alice", "password": "\ud800" * 9}, code="invalid_json"
    ),
    case("surrogate_greeting", "POST", "/friend-requests", {"user_id": 1, "greeting": "\ud800"}, code="invalid_json"),
    case("surrogate_remark", "PATCH", "/friends/{bob}", {"remark": "\udbff"}, code="invalid_json"),
    case("surrogate_group_name", "PATCH", GROUP, {"name": "\ud800"}, code="invalid_json"),
    case("surrogate_client_id", "POST", SEND, {"id": "\ud800", "text": "hi"}, code="invalid_json"),
    # oversized text and bodies
    case(
        "text_over_16k",
        "POST",
        SEND,
        {"id": "x1", "text": "a" * (MAX_TEXT + 1)},
        status=413,
        code="too_large",
        field="text",
    ),
    case(
        "text_over_16k_bytes_not_chars",
        "POST",
        SEND,
        {"id": "x1", "text": "\u20ac" * 5462},
        status=413,
        code="too_large",
        field="text",
    ),
    case("body_over_64k", "POST", SEND, {"id": "x1", "text": "a" * MAX_BODY}, status=413, code="too_large"),
    case(
        "body_over_64k_anonymous_route",
        "POST",
        "/accounts",
        signup(display_name="x" * MAX_BODY),
        status=413,
        code="too_large",
    ),
    case(
        "body_over_64k_on_bodyless_route", "POST", GROUP + "/leave", b"x" * (MAX_BODY + 1), status=413, code="too_large"
    ),
    # empty message text and bad client ids
    case("text_empty", "POST", SEND, {"id": "x1", "text": ""}, field="text"),
    case("text_spaces", "POST", SEND, {"id": "x1", "text": "   "}, field="text"),
    case("text_newlines", "POST", SEND, {"id": "x1", "text": "\n\t\r\n"}, field="text"),
    case("text_nul", "POST", SEND, {"id": "x1", "text": "a\u0000b"}, field="text"),
    case("text_escape_char", "POST", SEND, {"id": "x1", "text": "\u001b[31mred"}, field="text"),
    case("client_id_empty", "POST", SEND, {"id": "", "text": "hi"}, field="id"),
    case("client_id_space", "POST", SEND, {"id": "a b", "text": "hi"}, field="id"),
    case("client_id_too_long", "POST", SEND, {"id": "a" * 65, "text": "hi"}, field="id"),
    case("client_id_non_ascii", "POST", SEND, {"id": "\u00e9t\u00e9", "text": "hi"}, field="id"),
    case("client_id_slash", "POST", SEND, {"id": "a/b", "text": "hi"}, field="id"),
    case("client_id_dot", "POST", SEND, {"id": "a.b", "text": "hi"}, field="id"),
    case("client_id_newline", "POST", SEND, {"id": "ab\n", "text": "hi"}, field="id"),
    # bad handles, short passwords, names with control characters, too-long human text
    case("handle_too_short", "POST", "/accounts", signup(handle="ab"), field="handle"),
    case("handle_too_long", "POST", "/accounts", signup(handle="a" * 33), field="handle"),
    case("handle_space", "POST", "/accounts", signup(handle="bad handle"), field="handle"),
    case("handle_dash", "POST", "/accounts", signup(handle="bad-handle"), field="handle"),
    case("handle_non_ascii", "POST", "/accounts", signup(handle="\u00e9mile"), field="handle"),
    case("handle_empty", "POST", "/accounts", signup(handle=""), field="handle"),
    case("handle_nul", "POST", "/accounts", signup(handle="abc\u0000"), field="handle"),
    case("password_short", "POST", "/accounts", signup(password="7 chars"), field="password"),
    case("password_too_long", "POST", "/accounts", signup(password="p" * 1025), field="password"),
    case(
        "new_password_short",
        "POST",
        "/me/password",
        {"old_password": PASSWORD, "new_password": "short"},
        field="new_password",
    ),
    case("display_name_bell", "POST", "/accounts", signup(display_name="a\u0007b"), field="display_name"),
    case("display_name_delete", "PATCH", "/me", {"display_name": "a\u007fb"}, field="display_name"),
    case("display_name_c1_control", "PATCH", "/me", {"display_name": "a\u0085b"}, field="display_name"),
    case("display_name_newline", "PATCH", "/me", {"display_name": "two\nlines"}, field="display_name"),
    case("display_name_blank", "PATCH", "/me", {"display_name": "   "}, field="display_name"),
    case("display_name_too_long", "PATCH", "/me", {"display_name": "n" * 65}, field="display_name"),
    case("status_too_long", "PATCH", "/me", {"status": "s" * 141}, field="status"),
    case("status_tab", "PATCH", "/me", {"status": "a\tb"}, field="status"),
    # invisible formatting characters that disguise a name or reorder the text around it
    case(
        "display_name_rtl_override",
        "PATCH",
        "/me",
        {"display_name": "evil\u202etxt.exe"},
        field="display_name",
        code="invisible_characters",
    ),
    case(
        "display_name_rtl_isolate",
        "POST",
        "/accounts",
        signup(display_name="a\u2067b"),
        field="display_name",
        code="invisible_characters",
    ),
    case(
        "display_name_zero_width_space",
        "PATCH",
        "/me",
        {"display_name": "ad\u200bmin"},
        field="display_name",
        code="invisible_characters",
    ),
    case("status_rtl_mark", "PATCH", "/me", {"status": "\u200fhello"}, field="status", code="invisible_characters"),
    case(
        "display_name_soft_hyphen",
        "PATCH",
        "/me",
        {"display_name": "ad\u00admin"},
        field="display_name",
        code="invisible_characters",
    ),
    case("status_bom", "PATCH", "/me", {"status": "\ufeffhi"}, field="status", code="invisible_characters"),
    case(
        "device_name_too_long",
        "POST",
        "/sessions",
        {"handle": "bad_alice", "password": PASSWORD, "device_name": "d" * 65},
        field="device_name",
    ),
    case(
        "device_name_control",
        "POST",
        "/accounts",
        signup(handle="fresh_device1", device_name="phone\u0000"),
        field="device_name",
    ),
    case(
        "device_name_too_long_at_sign_up",
        "POST",
        "/accounts",
        signup(handle="fresh_device2", device_name="d" * 65),
        field="device_name",
    ),
    case(
        "greeting_too_long", "POST", "/friend-requests", {"user_id": "{carol}", "greeting": "g" * 201}, field="greeting"
    ),
    case(
        "greeting_control", "POST", "/friend-requests", {"user_id": "{carol}", "greeting": "hi\u0008"}, field="greeting"
    ),
    case("remark_too_long", "PATCH", "/friends/{bob}", {"remark": "r" * 65}, field="remark"),
    case("remark_control", "PATCH", "/friends/{bob}", {"remark": "a\u001fb"}, field="remark"),
    case(
        "group_name_too_long", "POST", "/conversations/groups", {"user_ids": ["{bob}"], "name": "g" * 65}, field="name"
    ),
    case(
        "group_name_control", "POST", "/conversations/groups", {"user_ids": ["{bob}"], "name": "a\u0000b"}, field="name"
    ),
    case("group_rename_too_long", "PATCH", GROUP, {"name": "g" * 65}, field="name"),
    case("group_rename_newline", "PATCH", GROUP, {"name": "a\nb"}, field="name"),
    # ids: zero, negative, huge, nonexistent, not allowed
    case("conversation_zero", "GET", "/conversations/0", status=404, code="not_found"),
    case("conversation_negative", "GET", "/conversations/-1", status=404, code="not_found"),
    case("conversation_huge", "GET", f"/conversations/{2**70}", status=404, code="not_found"),
    case("conversation_int64_max", "GET", f"/conversations/{2**63 - 1}", status=404, code="not_found"),
    case("conversation_missing", "GET", "/conversations/{missing}", status=404, code="not_found"),
    case("conversation_not_a_number", "GET", "/conversations/abc", status=404, code="not_found"),
    case(
        "send_to_missing",
        "POST",
        "/conversations/{missing}/messages",
        {"id": "x1", "text": "hi"},
        status=404,
        code="not_found",
    ),
    case("recall_seq_zero", "POST", SEND + "/0/recall", status=404, code="not_found"),
    case("recall_seq_missing", "POST", SEND + "/{missing}/recall", status=404, code="no_such_message"),
    case("hide_seq_zero", "POST", SEND + "/0/hide", status=404, code="not_found"),
    case("hide_seq_missing", "POST", SEND + "/{missing}/hide", status=404, code="no_such_message"),
    case("hide_seq_huge", "POST", SEND + f"/{2**70}/hide", status=404, code="not_found"),
    case("request_user_zero", "POST", "/friend-requests", {"user_id": 0}, field="user_id"),
    case("request_user_negative", "POST", "/friend-requests", {"user_id": -1}, field="user_id"),
    case("request_user_huge", "POST", "/friend-requests", {"user_id": 2**70}, field="user_id"),
    case("request_user_uint64", "POST", "/friend-requests", {"user_id": 2**63}, field="user_id"),
    case("request_user_missing", "POST", "/friend-requests", {"user_id": MISSING}, status=404, code="not_found"),
    case("request_self", "POST", "/friend-requests", {"user_id": "{alice}"}, code="self_request", field="user_id"),
    case("accept_zero", "POST", "/friend-requests/0/accept", status=404, code="not_found"),
    case("accept_missing", "POST", "/friend-requests/{missing}/accept", status=404, code="not_found"),
    case("accept_huge", "POST", f"/friend-requests/{2**70}/accept", status=404, code="not_found"),
    case("direct_user_zero", "POST", "/conversations/direct", {"user_id": 0}, field="user_id"),
    case("direct_user_huge", "POST", "/conversations/direct", {"user_id": 2**63}, field="user_id"),
    case("direct_self", "POST", "/conversations/direct", {"user_id": "{alice}"}, field="user_id"),
    case("group_users_empty", "POST", "/conversations/groups", {"user_ids": []}, field="user_ids"),
    case("group_users_zero", "POST", "/conversations/groups", {"user_ids": [0]}, field="user_ids"),
    case("group_users_huge", "POST", "/conversations/groups", {"user_ids": [2**64]}, field="user_ids"),
    case("group_only_self", "POST", "/conversations/groups", {"user_ids": ["{alice}"]}, field="user_ids"),
    case("members_empty", "POST", GROUP + "/members", {"user_ids": []}, field="user_ids"),
    case("members_negative", "POST", GROUP + "/members", {"user_ids": [-1]}, field="user_ids"),
    case("remove_self", "DELETE", GROUP + "/members/{alice}", field="user_id"),
    case("remove_non_member", "DELETE", GROUP + "/members/{carol}", status=404, code="not_a_member"),
    case("owner_missing", "PATCH", GROUP, {"owner_id": MISSING}, status=404, code="not_a_member", field="owner_id"),
    case("owner_huge", "PATCH", GROUP, {"owner_id": 2**63}, field="owner_id"),
    case("owner_over_uint64", "PATCH", GROUP, {"owner_id": 2**70}, field="owner_id"),
    case("rename_direct", "PATCH", "/conversations/{direct}", {"name": "x"}, code="not_a_group"),
    case("leave_direct", "POST", "/conversations/{direct}/leave", code="not_a_group"),
    case("read_seq_negative", "POST", READ, {"seq": -1}, field="seq"),
    case("read_seq_huge", "POST", READ, {"seq": 2**62}, field="seq"),
    case("read_seq_over_uint64", "POST", READ, {"seq": 2**70}, field="seq"),
    case("reply_to_zero", "POST", SEND, {"id": "x1", "text": "hi", "reply_to": 0}, field="reply_to"),
    case("reply_to_negative", "POST", SEND, {"id": "x1", "text": "hi", "reply_to": -1}, field="reply_to"),
    case("reply_to_huge", "POST", SEND, {"id": "x1", "text": "hi", "reply_to": 2**62}, field="reply_to"),
    case(
        "reply_to_missing",
        "POST",
        SEND,
        {"id": "x1", "text": "hi", "reply_to": 99},
        status=404,
        code="no_such_message",
        field="reply_to",
    ),
    case("device_zero", "DELETE", "/me/devices/0", status=404, code="not_found"),
    case("device_missing", "DELETE", "/me/devices/{missing}", status=404, code="not_found"),
    case("block_self", "PUT", "/blocks/{alice}", field="user_id"),
    case("block_missing", "PUT", "/blocks/{missing}", status=404, code="not_found"),
    case("unblock_not_blocked", "DELETE", "/blocks/{bob}", status=404, code="not_found"),
    case("unfriend_stranger", "DELETE", "/friends/{carol}", status=404, code="not_found"),
    case("remark_for_stranger", "PATCH", "/friends/{carol}", {"remark": "x"}, status=404, code="not_found"),
    # query parameters: negative, huge, not numbers, contradictory
    case("history_before_negative", "GET", HISTORY, params={"before": -1}, field="before"),
    case("history_after_negative", "GET", HISTORY, params={"after": -5}, field="after"),
    case("history_before_huge", "GET", HISTORY, params={"before": 2**70}, field="before"),
    case("history_after_huge", "GET", HISTORY, params={"after": 2**62}, field="after"),
    case("history_limit_zero", "GET", HISTORY, params={"limit": 0}, field="limit"),
    case("history_limit_negative", "GET", HISTORY, params={"limit": -1}, field="limit"),
    case("history_limit_too_big", "GET", HISTORY, params={"limit": 201}, field="limit"),
    case("history_limit_huge", "GET", HISTORY, params={"limit": 2**70}, field="limit"),
    case("history_limit_text", "GET", HISTORY, params={"limit": "ten"}, field="limit"),
    case("history_limit_float", "GET", HISTORY, params={"limit": "1.5"}, field="limit"),
    case("history_before_empty", "GET", HISTORY, params={"before": ""}, field="before"),
    case("history_before_and_after", "GET", HISTORY, params={"before": 5, "after": 1}, field="before"),
    case("sync_since_negative", "GET", "/sync", params={"since": -1}, field="since"),
    case("sync_since_text", "GET", "/sync", params={"since": "latest"}, field="since"),
    case("sync_since_bool", "GET", "/sync", params={"since": "true"}, field="since"),
    case("sync_since_ahead", "GET", "/sync", params={"since": 10**9}, code="since_ahead"),
    case("sync_since_int63", "GET", "/sync", params={"since": 2**63}, code="since_ahead"),
    case("sync_since_huge", "GET", "/sync", params={"since": 2**70}, code="since_ahead"),
    case("sync_limit_zero", "GET", "/sync", params={"limit": 0}, field="limit"),
    case("sync_limit_negative", "GET", "/sync", params={"limit": -1}, field="limit"),
    case("sync_limit_too_big", "GET", "/sync", params={"limit": 501}, field="limit"),
    case("sync_limit_huge", "GET", "/sync", params={"limit": 2**70}, field="limit"),
    case("lookup_no_handle", "GET", "/users/lookup"),
    case("lookup_bad_handle", "GET", "/users/lookup", params={"handle": "no spaces allowed"}, field="handle"),
    case("lookup_nul", "GET", "/users/lookup", params={"handle": "abc\x00"}, field="handle"),
    case(
        "lookup_missing",
        "GET",
        "/users/lookup",
        params={"handle": "nobody_has_this"},
        status=404,
        code="no_such_handle",
    ),
    # push subscriptions: an endpoint that could reach inside (SSRF), keys that are not keys
    *[
        case(
            f"push_{label}",
            "POST",
            "/push/subscriptions",
            push_body(endpoint=url),
            code="endpoint_refused",
            field="endpoint",
        )
        for label, url in (
            ("http", "http://push.example.com/x"),
            ("loopback", "https://127.0.0.1/x"),
            ("private", "https://10.0.0.7/x"),
            ("metadata", "https://169.254.169.254/latest"),
            ("localhost", "https://localhost/x"),
            ("bare_name", "https://intranet/x"),
            ("other_port", "https://push.example.com:8443/x"),
        )
    ],
    case("push_not_on_curve", "POST", "/push/subscriptions", push_body(p256dh="B" + "A" * 86), field="keys.p256dh"),
    case("push_short_auth", "POST", "/push/subscriptions", push_body(auth="AAAA"), field="keys.auth"),
    case("push_no_keys", "POST", "/push/subscriptions", {"endpoint": "https://push.example.com/x"}),
    case("push_settings_not_bool", "PUT", "/push/settings", {"previews": "yes"}, field="previews"),
    # unauthorized and conflicting requests
    case(
        "sign_in_wrong_password",
        "POST",
        "/sessions",
        {"handle": "bad_alice", "password": "wrong password"},
        status=401,
        code="wrong_credentials",
    ),
    case(
        "sign_in_unknown_handle",
        "POST",
        "/sessions",
        {"handle": "nobody_has_this", "password": PASSWORD},
        status=401,
        code="wrong_credentials",
    ),
    case(
        "password_wrong_old",
        "POST",
        "/me/password",
        {"old_password": "not it at all", "new_password": "long enough"},
        status=403,
        code="wrong_password",
    ),
    case(
        "register_taken_handle",
        "POST",
        "/accounts",
        signup(handle="BAD_ALICE"),
        status=409,
        code="handle_taken",
        field="handle",
    ),
    case("request_to_friend", "POST", "/friend-requests", {"user_id": "{bob}"}, status=409, code="already_friends"),
    case("cancel_accepted_request", "POST", "/friend-requests/{accepted}/cancel", status=409, code="request_closed"),
    case(
        "add_existing_member", "POST", GROUP + "/members", {"user_ids": ["{bob}"]}, status=409, code="already_members"
    ),
    case("add_stranger", "POST", GROUP + "/members", {"user_ids": ["{carol}"]}, status=403, code="not_friends"),
    case(
        "client_id_reused_other_text",
        "POST",
        SEND,
        {"id": "a1", "text": "not first"},
        status=409,
        code="client_id_conflict",
        field="id",
    ),
    case(
        "client_id_reused_other_chat",
        "POST",
        "/conversations/{group}/messages",
        {"id": "a1", "text": "first"},
        status=409,
        code="client_id_conflict",
        field="id",
    ),
    case("method_not_allowed", "PUT", "/me", status=405, code="method_not_allowed"),
    case("no_such_route", "GET", "/nothing-here", status=404, code="not_found"),
]


def _substitute(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    if isinstance(value, str) and re.fullmatch(r"\{\w+\}", value):
        return ids[value[1:-1]]
    return value


@pytest.mark.parametrize("bad", CASES)
async def test_bad_request_gets_a_clear_error_and_changes_nothing(world: World, bad: Bad) -> None:
    if not isinstance(bad.body, bytes) and bad.body is not NO_BODY:
        bad = Bad(**{**bad.__dict__, "body": _substitute(bad.body, world.ids)})
    async with unchanged(world.server, world.alice):
        response = await world.alice.call(
            bad.method, bad.path.format(**world.ids), content=bad.content(), params=bad.params, headers=JSON_TYPE
        )
    assert_error(response, bad.status, bad.code, bad.field)


# -- walking the route table: every route, present and future ------------------------------------------

VALID_BODIES: dict[str, Any] = {
    "RegisterIn": signup(),
    "SignInIn": {"handle": "bad_alice", "password": PASSWORD},
    "ProfileIn": {"status": "fine"},
    "PasswordIn": {"old_password": PASSWORD, "new_password": PASSWORD},
    "RemarkIn": {"remark": "fine"},
    "RequestIn": {"user_id": 1},
    "BlockIn": {"handle": "bad_bob"},
    "DirectIn": {"user_id": 1},
    "GroupIn": {"user_ids": [1]},
    "GroupUpdateIn": {"name": "fine"},
    "PrefsIn": {"muted": True},
    "ReadIn": {"seq": 1},
    "MembersIn": {"user_ids": [1]},
    "SendIn": {"id": "fine", "text": "fine"},
    "DeleteAccountIn": {"password": PASSWORD},
    "AvatarIn": {"media_id": "AAAAAAAAAAAAAAAAAAAAAA"},
    "AccountIn": {"name": "An Intruder's Account", "kind": "service"},
    "WebhookIn": {"webhook_url": "", "token": "intruder1"},
    "MenuEventIn": {"key": "INTRUDE"},
    "ScanIn": {"ticket": "not-a-ticket"},
    "PostIn": {"id": "fine", "text": "fine"},
    "CommentIn": {"text": "fine"},
    "SettingsIn": {"window_days": 3},
    "TokenIn": {"token": "AAAAAAAAAAAAAAAAAAAAAAAA"},
    "GroupLinkIn": {"expires_in": 3600},
    "PushSubscriptionIn": push_body(),
    "PushSettingsIn": {"previews": True},
}


async def _chunked(size: int) -> AsyncIterator[bytes]:
    yield b'{"text": "'
    for _ in range(size // 8192 + 1):
        yield b"x" * 8192
    yield b'"}'


GARBAGE: list[tuple[str, Callable[[], Any], int | None]] = [
    ("empty", lambda: b"", 400),
    ("whitespace", lambda: b"\n \t", 400),
    ("truncated", lambda: b'{"', 400),
    ("not_json", lambda: b"<xml/>", 400),
    ("null", lambda: b"null", 400),
    ("array", lambda: b"[1, 2]", 400),
    ("string", lambda: b'"text"', 400),
    ("number", lambda: b"-0.5e10", 400),
    ("bool", lambda: b"false", 400),
    ("invalid_utf8", lambda: b'{"\xff\xfe": "\xc3"}', 400),
    ("lone_surrogate", lambda: b'{"\\udc00": "\\ud800"}', 400),
    ("unknown_field", lambda: b'{"zz_not_a_field": 1}', 400),
    ("nested", lambda: b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
    ("oversized", lambda: b'{"text": "' + b"x" * MAX_BODY + b'"}', 413),
    ("oversized_chunked", lambda: _chunked(MAX_BODY), 413),
]

# uploads take a file, not JSON: their own table of bad bodies and names is in test_media.py
UPLOAD_ROUTES = [e for e in ENDPOINTS if e.body_kind is UPLOAD]
BODY_ROUTES = [e for e in ENDPOINTS if e.body is not None and e not in UPLOAD_ROUTES]
PATH_ROUTES = [e for e in ENDPOINTS if "{" in e.path]
QUERY_ROUTES = [e for e in ENDPOINTS if e.query is not None and e not in UPLOAD_ROUTES]


def route_id(endpoint: Any) -> str:
    return f"{endpoint.method} {endpoint.path.removeprefix('/api/v1')}"


def fill(path: str, values: dict[str, int], default: int = 1) -> str:
    return re.sub(r"\{(\w+):int\}", lambda m: str(values.get(m.group(1), default)), path).removeprefix("/api/v1")


def real_ids(world: World) -> dict[str, int]:
    ids = world.ids
    return {
        "conversation_id": ids["group"],
        "user_id": ids["bob"],
        "request_id": ids["request"],
        "device_id": ids["device"],
        "seq": 1,
    }


@pytest.mark.parametrize("endpoint", BODY_ROUTES, ids=route_id)
@pytest.mark.parametrize(("kind", "body", "status"), GARBAGE, ids=[g[0] for g in GARBAGE])
async def test_every_route_with_a_body_refuses_garbage(
    world: World, endpoint: Any, kind: str, body: Callable[[], Any], status: int
) -> None:
    content = body()
    if isinstance(content, bytes) and len(content) > endpoint.body_limit(MAX_BODY):
        status = 413  # past the route's own limit, smaller than the default
    async with unchanged(world.server, world.alice):
        response = await world.alice.call(
            endpoint.method, fill(endpoint.path, real_ids(world)), content=content, headers=JSON_TYPE
        )
    assert_error(response, status, None)


@pytest.mark.parametrize("endpoint", PATH_ROUTES, ids=route_id)
@pytest.mark.parametrize("value", [0, 2**63, 2**70, MISSING], ids=["zero", "int64_over", "huge", "missing"])
async def test_every_id_in_a_path_must_exist(world: World, endpoint: Any, value: int) -> None:
    kwargs: dict[str, Any] = {}
    if endpoint.body is not None:
        kwargs["json"] = VALID_BODIES[endpoint.body.__name__]
    async with unchanged(world.server, world.alice):
        response = await world.alice.call(endpoint.method, fill(endpoint.path, {}, value), **kwargs)
    assert_error(response, 404, None)


def _required(endpoint: Any, probed: str) -> dict[str, str]:
    """Valid values for the route's other required query parameters (a search needs its words)."""
    return {"q": "ok"} if route_id(endpoint) == "GET /search/messages" and probed != "q" else {}


@pytest.mark.parametrize("endpoint", QUERY_ROUTES, ids=route_id)
@pytest.mark.parametrize("value", ["", "abc", "1.5", "-1", "true", "[1]", "\x00", "\ufffd"])
async def test_every_query_parameter_refuses_garbage(world: World, endpoint: Any, value: str) -> None:
    for name in msgspec.structs.fields(endpoint.query):
        async with unchanged(world.server, world.alice):
            response = await world.alice.call(
                endpoint.method,
                fill(endpoint.path, real_ids(world)),
                params={**_required(endpoint, name.name), name.name: value},
            )
        if route_id(endpoint) == "GET /official-accounts" and value.strip("\x00"):
            assert response.status_code == 200, response.text  # words to search for: nothing found
            assert response.json() == {"accounts": []}
        elif route_id(endpoint) == "GET /search/messages" and name.name == "q" and value not in ("", "\x00"):
            if any(c.isalnum() for c in value):
                assert response.status_code == 200, response.text  # words to search for: nothing found
                assert response.json() == {"messages": []}
            else:
                assert_error(response, 400, "nothing_to_find", "q")
        elif value in ("abc", "1.5", "true") and str in (name.type, getattr(name.type, "__origin__", None)):
            assert_error(response, 404, "no_such_handle")  # a well-formed handle nobody has
        else:
            assert_error(response, 400, None, name.name)


async def test_the_route_walk_knows_every_body() -> None:
    assert {e.body.__name__ for e in BODY_ROUTES} <= set(VALID_BODIES)
    assert [route_id(e) for e in UPLOAD_ROUTES] == ["POST /media"]


# -- what the HTTP layer sees: lying, absent and oversized Content-Length -------------------------------


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes] | None:
    """One HTTP response as (status, body); None once the server has closed the connection (or went quiet)."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
        return None
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    assert length, head
    return int(head.split(b" ", 2)[1]), await reader.readexactly(int(length[1]))


async def _raw(
    server: Server, head: str, body: bytes = b"", *, half_close: bool = False, most: int = 2
) -> list[tuple[int, bytes]]:
    """Send bytes as they are; the (status, body) of the responses, until the server closes or ``most`` came."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(head.encode().replace(b"\n", b"\r\n") + body)
    await writer.drain()
    if half_close:
        writer.write_eof()
    responses = []
    while len(responses) < most and (response := await _response(reader)):
        responses.append(response)
    writer.close()
    return responses


def _head(world: World, extra: str) -> str:
    return (
        f"POST /api/v1/conversations/{world.ids['direct']}/messages HTTP/1.1\n"
        f"Host: 127.0.0.1\nAuthorization: Bearer {world.alice.token}\nContent-Type: application/json\n{extra}\n"
    )


MESSAGE = json.dumps({"id": "raw-1", "text": "should never be stored"}).encode()


def _is_json_error(body: bytes, code: str) -> bool:
    error = json.loads(body)["error"]
    return error["code"] == code and isinstance(error["message"], str)


async def test_declared_length_over_the_cap_is_refused_before_the_body(world: World) -> None:
    async with unchanged(world.server, world.alice):
        responses = await _raw(world.server, _head(world, f"Content-Length: {MAX_BODY + 1}\n"), b"{", most=1)
    assert responses and responses[0][0] == 413 and _is_json_error(responses[0][1], "too_large")


async def test_a_content_length_shorter_than_the_body(world: World) -> None:
    lying = _head(world, "Content-Length: 10\n")
    async with unchanged(world.server, world.alice):
        # in two steps: the server answers what the header declared, then refuses what follows
        reader, writer = await asyncio.open_connection("127.0.0.1", world.server.port)
        writer.write(lying.encode().replace(b"\n", b"\r\n") + MESSAGE[:10])
        await writer.drain()
        first = await _response(reader)
        assert first and first[0] == 400 and _is_json_error(first[1], "invalid_json")
        writer.write(MESSAGE[10:])
        await writer.drain()
        rest = await _response(reader)
        assert rest is None or 400 <= rest[0] < 500
        writer.close()
        # in one go: the trailing bytes are not a request either
        responses = await _raw(world.server, lying, MESSAGE)
    assert responses and all(400 <= status < 500 for status, _ in responses)


async def test_a_content_length_longer_than_the_body(world: World) -> None:
    async with unchanged(world.server, world.alice):
        responses = await _raw(world.server, _head(world, "Content-Length: 1000\n"), MESSAGE, half_close=True)
        await asyncio.sleep(0.3)  # let the server finish with the request whose body never came
    # nobody is listening for an answer; whatever comes back is a 4xx, and nothing is stored or logged
    assert all(400 <= status < 500 for status, _ in responses)


async def test_a_body_without_content_length_is_no_body(world: World) -> None:
    async with unchanged(world.server, world.alice):
        responses = await _raw(world.server, _head(world, "Connection: close\n"), MESSAGE)
    assert responses[0][0] == 400 and _is_json_error(responses[0][1], "missing_body")


@pytest.mark.parametrize("declared", ["abc", "-1", "10, 20", str(2**70)])
async def test_a_malformed_content_length_is_refused(world: World, declared: str) -> None:
    async with unchanged(world.server, world.alice):
        responses = await _raw(world.server, _head(world, f"Content-Length: {declared}\n"), MESSAGE)
    # refused by the HTTP parser itself (a plain-text 400) or by the app (JSON)
    assert responses and all(400 <= status < 500 for status, _ in responses)


async def test_a_chunked_body_over_the_cap(world: World) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"id": "chunked", "text": "'
        for _ in range(10):
            yield b"x" * 8000
        yield b'"}'

    async with unchanged(world.server, world.alice):
        response = await world.alice.call(
            "POST", f"/conversations/{world.ids['direct']}/messages", content=body(), headers=JSON_TYPE
        )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert_error(response, 413, "too_large")


# -- the WebSocket -------------------------------------------------------------------------------


async def _hello(world: World) -> Any:
    ws = await websockets.connect(world.server.ws_url, max_size=2**22)
    await ws.send(json.dumps({"type": "hello", "token": world.alice.token}))
    ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert ready["type"] == "ready", ready
    return ws


async def _next(ws: Any) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), 10)))


def frame_case(case_id: str, frame: Any, code: str = "invalid_frame", ref: str | None = None) -> Any:
    return pytest.param(frame, code, ref, id=case_id)


def send(**fields: Any) -> dict[str, Any]:
    return {"type": "send", "id": "w1", "conversation_id": "{direct}", "text": "hi", **fields}


FRAMES = [
    frame_case("not_json", "hello there"),
    frame_case("empty_text", ""),
    frame_case("json_array", "[]"),
    frame_case("json_null", "null"),
    frame_case("json_number", "42"),
    frame_case("no_type", {"ref": "x"}),
    frame_case("unknown_type", {"type": "delete_everything"}),
    frame_case("type_not_string", {"type": 5}),
    frame_case("send_id_int", send(id=1)),
    frame_case("send_conversation_string", send(conversation_id="1")),
    frame_case("send_conversation_bool", send(conversation_id=True)),
    frame_case("send_conversation_float", send(conversation_id=1.5)),
    frame_case("send_text_null", send(text=None)),
    frame_case("send_text_object", send(text={"a": 1})),
    frame_case("send_unknown_field", send(sender_id=1)),
    frame_case("send_lone_surrogate", send(text="\ud800")),
    frame_case("send_reply_to_string", send(reply_to="1")),
    frame_case("read_seq_bool", {"type": "read", "conversation_id": "{direct}", "seq": True}),
    frame_case("read_seq_float", {"type": "read", "conversation_id": "{direct}", "seq": 1.5}),
    frame_case("read_no_seq", {"type": "read", "conversation_id": "{direct}"}),
    frame_case("read_ref_int", {"type": "read", "conversation_id": "{direct}", "seq": 1, "ref": 1}),
    frame_case("ping_ref_object", {"type": "ping", "ref": {}}),
    frame_case("ping_unknown_field", {"type": "ping", "ref": "p", "extra": True}),
    frame_case("binary", b"\x00\x01\x02"),
    frame_case("binary_json", json.dumps({"type": "ping", "ref": "p"}).encode()),
    frame_case("second_hello", {"type": "hello", "token": "{token}"}),
    # well-formed frames whose content is refused
    frame_case("send_bad_client_id", send(id="a b"), "invalid", "a b"),
    frame_case("send_empty_text", send(text="  "), "invalid", "w1"),
    frame_case("send_no_text", {"type": "send", "id": "w1", "conversation_id": "{direct}"}, "invalid", "w1"),
    frame_case("send_bad_media_id", send(media_id="../x"), "invalid", "w1"),
    frame_case("send_control_text", send(text="\u0000"), "invalid", "w1"),
    frame_case("send_text_over_16k", send(text="a" * (MAX_TEXT + 1)), "too_large", "w1"),
    frame_case("send_reused_client_id", send(id="a1", text="other"), "client_id_conflict", "a1"),
    frame_case("send_conversation_zero", send(conversation_id=0), "invalid", "w1"),
    frame_case("send_conversation_huge", send(conversation_id=2**63), "invalid", "w1"),
    frame_case("send_conversation_over_uint64", send(conversation_id=2**70), "invalid", "w1"),
    frame_case("send_conversation_missing", send(conversation_id=MISSING), "not_found", "w1"),
    frame_case("send_reply_to_negative", send(reply_to=-1), "invalid", "w1"),
    frame_case("send_reply_to_missing", send(reply_to=99), "no_such_message", "w1"),
    frame_case(
        "read_negative_seq", {"type": "read", "conversation_id": "{direct}", "seq": -1, "ref": "r"}, "invalid", "r"
    ),
    frame_case(
        "read_conversation_missing",
        {"type": "read", "conversation_id": MISSING, "seq": 1, "ref": "r"},
        "not_found",
        "r",
    ),
    frame_case(
        "read_conversation_zero", {"type": "read", "conversation_id": 0, "seq": 1, "ref": "r"}, "not_found", "r"
    ),
    frame_case(
        "read_conversation_huge", {"type": "read", "conversation_id": 2**63, "seq": 1, "ref": "r"}, "not_found", "r"
    ),
    frame_case(
        "read_conversation_over_uint64",
        {"type": "read", "conversation_id": 2**70, "seq": 1, "ref": "r"},
        "not_found",
        "r",
    ),
    frame_case("send_client_id_newline", send(id="ab\n"), "invalid", "ab\n"),
]


def _encode_frame(frame: Any, world: World) -> str | bytes:
    if isinstance(frame, str | bytes):
        return frame
    values = {**world.ids, "token": world.alice.token}
    filled = {k: values[v[1:-1]] if isinstance(v, str) and re.fullmatch(r"\{\w+\}", v) else v for k, v in frame.items()}
    return json.dumps(filled, ensure_ascii=True)


@pytest.mark.parametrize(("frame", "code", "ref"), FRAMES)
async def test_bad_frame_gets_an_error_frame_and_the_connection_lives_on(
    world: World, frame: Any, code: str, ref: str | None
) -> None:
    await world.alice.ok("GET", "/me")
    ws = await _hello(world)
    watch = LogWatch(world.server)
    with no_change(world.server):
        await ws.send(_encode_frame(frame, world))
        error = await _next(ws)
        await ws.send(json.dumps({"type": "ping", "ref": "after"}))
        pong = await _next(ws)
    watch.assert_no_errors()
    assert error["type"] == "error", error
    assert set(error) == {"type", "ref", "error"} and error["ref"] == ref
    assert error["error"]["code"] == code and isinstance(error["error"]["message"], str), error
    assert pong == {"type": "pong", "ref": "after"}
    await ws.close()


async def _closed_with(ws: Any) -> int:
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            frame = await asyncio.wait_for(ws.recv(), 10)
            assert json.loads(frame)["type"] == "error", frame
    return int(ws.close_code)


async def _server_still_serves(world: World) -> None:
    ws = await _hello(world)
    await ws.send(json.dumps({"type": "ping", "ref": "alive"}))
    assert await _next(ws) == {"type": "pong", "ref": "alive"}
    await ws.close()


@pytest.mark.parametrize(("kind", "close_code"), [("huge_text", 1009), ("huge_binary", 1009), ("invalid_utf8", 1007)])
async def test_frames_the_transport_refuses_close_the_connection(world: World, kind: str, close_code: int) -> None:
    await world.alice.ok("GET", "/me")
    ws = await _hello(world)
    # uvicorn logs the undecodable frame itself before closing with 1007
    async with unchanged(world.server, allowed_log=("Invalid UTF-8 sequence received from client",)):
        if kind == "huge_text":
            await ws.send(json.dumps(send(text="a" * MAX_BODY, conversation_id=world.ids["direct"])))
        elif kind == "huge_binary":
            await ws.send(b"\x00" * (MAX_BODY + 1))
        else:
            await ws.send(b'{"type": "ping", "ref": "\xff\xfe"}', text=True)
        assert await _closed_with(ws) == close_code
    await _server_still_serves(world)


HELLOS = [
    ("not_json", "hello", 4002),
    ("binary", b'{"type": "hello"}', 4002),
    ("not_hello", {"type": "ping", "ref": "p"}, 4002),
    ("send_first", {"type": "send", "id": "x", "conversation_id": 1, "text": "hi"}, 4002),
    ("no_token", {"type": "hello"}, 4002),
    ("token_int", {"type": "hello", "token": 5}, 4002),
    ("token_surrogate", '{"type": "hello", "token": "\\ud800"}', 4002),
    ("unknown_field", {"type": "hello", "token": "{token}", "admin": True}, 4002),
    ("since_negative", {"type": "hello", "token": "{token}", "since": -1}, 4002),
    ("since_huge", {"type": "hello", "token": "{token}", "since": 2**70}, 4002),
    ("since_string", {"type": "hello", "token": "{token}", "since": "0"}, 4002),
    ("since_bool", {"type": "hello", "token": "{token}", "since": True}, 4002),
    ("since_ahead", {"type": "hello", "token": "{token}", "since": 10**9}, 4009),
    ("bad_token", {"type": "hello", "token": "not a token"}, 4001),
    ("empty_token", {"type": "hello", "token": ""}, 4001),
    ("token_too_long", {"type": "hello", "token": "t" * 10_000}, 4001),
]


@pytest.mark.parametrize(("hello", "close_code"), [h[1:] for h in HELLOS], ids=[h[0] for h in HELLOS])
async def test_bad_hello_closes_with_its_code(world: World, hello: Any, close_code: int) -> None:
    await world.alice.ok("GET", "/me")
    async with unchanged(world.server):
        ws = await websockets.connect(world.server.ws_url)
        frame = _encode_frame(hello, world)
        await ws.send(frame)
        assert await _closed_with(ws) == close_code
    await _server_still_serves(world)
