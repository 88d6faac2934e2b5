"""Accounts and devices: handles, passwords, tokens, sessions, profiles, disabled users."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from domain import PASSWORD, Kit

from kith.accounts.models import Caller, Session
from kith.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated


async def register(kit: Kit, handle: str, password: str = PASSWORD, device: str | None = None) -> Session:
    return await kit.accounts.register(handle, "Someone", password, device)


def caller(session: Session) -> Caller:
    return Caller(session.user.id, session.device.id)


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


# -- handles and passwords -------------------------------------------------------------------


@pytest.mark.parametrize("handle", ["abc", "a" * 32, "jo_doe.42", "..._", "Mixed.Case", "  padded  "])
async def test_valid_handles_are_accepted_and_lowercased(kit: Kit, handle: str) -> None:
    session = await register(kit, handle)
    assert session.user.handle == handle.strip().lower()


@pytest.mark.parametrize("handle", ["ab", "a" * 33, "", "jo-doe", "jo doe", "émile", "jo@doe", "ab\nc", "a\x00bc"])
async def test_invalid_handles_are_refused(kit: Kit, handle: str) -> None:
    with pytest.raises(Invalid) as caught:
        await register(kit, handle)
    assert caught.value.fields["field"] == "handle"
    assert await kit.rows("SELECT COUNT(*) FROM users") == [(0,)]


async def test_handles_are_unique_whatever_their_case(kit: Kit) -> None:
    await register(kit, "alice")
    for other in ("alice", "ALICE", "Alice", " alice "):
        with pytest.raises(Conflict) as caught:
            await register(kit, other)
        assert caught.value.code == "handle_taken"
    assert await kit.rows("SELECT handle FROM users") == [("alice",)]


async def test_a_password_needs_eight_characters(kit: Kit) -> None:
    with pytest.raises(Invalid) as caught:
        await register(kit, "shorty", password="1234567")
    assert caught.value.fields["field"] == "password"
    session = await register(kit, "longer", password="ferry plum 8")
    assert session.user.handle == "longer"


@pytest.mark.parametrize("password", ["12345678", "password", "password123", "qwertyuiop", "iloveyou2"])
async def test_common_passwords_are_refused_and_the_error_says_why(kit: Kit, password: str) -> None:
    with pytest.raises(Invalid) as caught:
        await register(kit, "weakling", password=password)
    assert caught.value.code == "weak_password"
    assert caught.value.fields["field"] == "password"
    assert caught.value.fields["score"] < caught.value.fields["min_score"]
    assert caught.value.fields["warning"] or caught.value.fields["suggestions"]
    assert "too weak" in caught.value.message
    assert await kit.rows("SELECT handle FROM users") == []


async def test_a_password_made_of_the_handle_is_weak(kit: Kit) -> None:
    with pytest.raises(Invalid) as caught:
        await register(kit, "marguerite_x", password="marguerite_x1")
    assert caught.value.code == "weak_password"


async def test_a_new_password_is_checked_too(kit: Kit) -> None:
    phone = await register(kit, "alice")
    with pytest.raises(Invalid) as caught:
        await kit.accounts.change_password(caller(phone), PASSWORD, "abcdefgh")
    assert caught.value.code == "weak_password"
    assert caught.value.fields["field"] == "new_password"
    with pytest.raises(Invalid):
        await kit.accounts.reset_password("alice", "11111111")


async def test_the_policy_can_be_turned_off(make_kit: Any) -> None:
    kit = await make_kit(password_min_score=0)
    assert (await register(kit, "lenient", password="12345678")).user.handle == "lenient"


@pytest.mark.parametrize("device_name", ["phone\x00", "d" * 65])
async def test_a_bad_device_name_at_sign_up_creates_no_account(kit: Kit, device_name: str) -> None:
    with pytest.raises(Invalid) as caught:
        await register(kit, "fresh", device=device_name)
    assert caught.value.fields["field"] == "device_name"
    assert await kit.rows("SELECT COUNT(*) FROM users") == [(0,)]
    session = await register(kit, "fresh", device="phone")  # the handle was never taken
    assert session.device.name == "phone"


async def test_only_an_argon2_hash_of_the_password_is_stored(kit: Kit) -> None:
    await register(kit, "alice", password="correct horse battery")
    [(stored,)] = await kit.rows("SELECT password_hash FROM users WHERE handle = 'alice'")
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    # and it is a real hash of that password: signing in with it works
    await kit.accounts.sign_in("alice", "correct horse battery")


async def test_the_token_is_stored_only_as_its_hash(kit: Kit) -> None:
    session = await register(kit, "alice")
    [(token_hash,)] = await kit.rows("SELECT token_hash FROM devices WHERE id = ?", session.device.id)
    assert token_hash == hashlib.sha256(session.token.encode()).digest()
    # every value of every row of every table, read through a connection of the test's own
    values = [v for rows in kit.dump().values() for row in rows for v in row]
    assert token_hash in values
    assert not any(session.token in v for v in values if isinstance(v, str))
    assert not any(session.token.encode() in v for v in values if isinstance(v, bytes))
    assert (await kit.accounts.authenticate(session.token)) == caller(session)


# -- signing in and out ----------------------------------------------------------------------


async def test_sign_in_is_case_insensitive_and_adds_a_device(kit: Kit) -> None:
    first = await register(kit, "alice", device="phone")
    second = await kit.accounts.sign_in("ALICE", PASSWORD, "laptop")
    assert second.user == first.user
    assert second.device.id != first.device.id and second.token != first.token
    devices = await kit.accounts.devices(caller(second))
    assert [(d.name, d.current) for d in devices] == [("phone", False), ("laptop", True)]
    events = await kit.events(caller(second))
    assert types(events) == ["device.added", "device.added"]


async def test_wrong_password_and_unknown_handle_fail_alike(kit: Kit) -> None:
    await register(kit, "alice")
    with pytest.raises(Unauthenticated) as wrong_password:
        await kit.accounts.sign_in("alice", "password124")
    with pytest.raises(Unauthenticated) as unknown:
        await kit.accounts.sign_in("nobody", PASSWORD)
    assert wrong_password.value.code == unknown.value.code == "wrong_credentials"
    assert wrong_password.value.message == unknown.value.message
    assert await kit.rows("SELECT COUNT(*) FROM devices") == [(1,)]


async def test_a_device_can_be_revoked_only_by_its_owner(kit: Kit) -> None:
    alice = await register(kit, "alice")
    alice_laptop = await kit.accounts.sign_in("alice", PASSWORD, "laptop")
    bob = await register(kit, "bob")

    with pytest.raises(NotFound):
        await kit.accounts.revoke_device(caller(bob), alice_laptop.device.id)
    assert (await kit.accounts.authenticate(alice_laptop.token)).device_id == alice_laptop.device.id

    await kit.accounts.revoke_device(caller(alice), alice_laptop.device.id)
    with pytest.raises(Unauthenticated) as caught:
        await kit.accounts.authenticate(alice_laptop.token)
    assert caught.value.code == "session_ended"
    assert [d.id for d in await kit.accounts.devices(caller(alice))] == [alice.device.id]
    assert (await kit.events(caller(alice)))[-1] == {
        "seq": 3,
        "type": "device.revoked",
        "at": kit.clock.now_ms(),
        "data": {"device_id": alice_laptop.device.id},
    }
    assert types(await kit.events(caller(bob))) == ["device.added"]
    with pytest.raises(NotFound):
        await kit.accounts.revoke_device(caller(alice), alice_laptop.device.id)


async def test_a_device_is_marked_seen_at_most_once_a_minute(kit: Kit) -> None:
    session = await register(kit, "alice")
    signed_up_at = kit.clock.now_ms()
    kit.clock.advance(30)
    await kit.accounts.authenticate(session.token)
    [device] = await kit.accounts.devices(caller(session))
    assert device.last_seen_at == signed_up_at
    kit.clock.advance(31)
    await kit.accounts.authenticate(session.token)
    [device] = await kit.accounts.devices(caller(session))
    assert (device.created_at, device.last_seen_at) == (signed_up_at, kit.clock.now_ms())


async def test_sign_out_ends_only_that_session(kit: Kit) -> None:
    phone = await register(kit, "alice")
    laptop = await kit.accounts.sign_in("alice", PASSWORD)
    await kit.accounts.sign_out(caller(phone))
    with pytest.raises(Unauthenticated):
        await kit.accounts.authenticate(phone.token)
    assert await kit.accounts.authenticate(laptop.token) == caller(laptop)


@pytest.mark.parametrize("token", ["", "x" * 300, "not-a-token"])
async def test_a_bad_token_does_not_authenticate(kit: Kit, token: str) -> None:
    await register(kit, "alice")
    with pytest.raises(Unauthenticated):
        await kit.accounts.authenticate(token)


async def test_changing_the_password_signs_out_the_other_devices(kit: Kit) -> None:
    phone = await register(kit, "alice")
    laptop = await kit.accounts.sign_in("alice", PASSWORD)
    tablet = await kit.accounts.sign_in("alice", PASSWORD)

    with pytest.raises(Forbidden) as caught:
        await kit.accounts.change_password(caller(phone), "not my password", "teal harbor 26 vine")
    assert caught.value.code == "wrong_password"
    with pytest.raises(Invalid):
        await kit.accounts.change_password(caller(phone), PASSWORD, "short")
    assert await kit.accounts.authenticate(laptop.token) == caller(laptop)

    await kit.accounts.change_password(caller(phone), PASSWORD, "teal harbor 26 vine")
    assert await kit.accounts.authenticate(phone.token) == caller(phone)
    for gone in (laptop, tablet):
        with pytest.raises(Unauthenticated):
            await kit.accounts.authenticate(gone.token)
    revoked = [e["data"]["device_id"] for e in await kit.events(caller(phone)) if e["type"] == "device.revoked"]
    assert sorted(revoked) == sorted([laptop.device.id, tablet.device.id])

    with pytest.raises(Unauthenticated):
        await kit.accounts.sign_in("alice", PASSWORD)
    await kit.accounts.sign_in("alice", "teal harbor 26 vine")


async def test_a_disabled_user_cannot_sign_in_or_use_old_tokens(kit: Kit) -> None:
    alice = await register(kit, "alice")
    await kit.accounts.set_disabled("alice", True)

    with pytest.raises(Unauthenticated) as caught:
        await kit.accounts.sign_in("alice", PASSWORD)
    assert caught.value.code == "wrong_credentials"  # the same answer as a wrong password
    with pytest.raises(Unauthenticated):
        await kit.accounts.authenticate(alice.token)

    await kit.accounts.set_disabled("alice", False)
    again = await kit.accounts.sign_in("alice", PASSWORD)
    assert again.user.id == alice.user.id


async def test_an_admin_password_reset_signs_out_every_device(kit: Kit) -> None:
    alice = await register(kit, "alice")
    await kit.accounts.reset_password("ALICE", "brand new pass")
    with pytest.raises(Unauthenticated):
        await kit.accounts.authenticate(alice.token)
    await kit.accounts.sign_in("alice", "brand new pass")
    with pytest.raises(NotFound):
        await kit.accounts.reset_password("nobody", "brand new pass")


# -- profiles --------------------------------------------------------------------------------


async def test_a_profile_update_reaches_the_user_and_their_friends_only(kit: Kit) -> None:
    alice, bob, carol = await kit.user("alice"), await kit.user("bob"), await kit.user("carol")
    await kit.friends(alice, bob)
    carol_head = await kit.sync.head(carol.user_id)

    user = await kit.accounts.update_profile(alice, display_name="  Alice A.  ", status="on holiday")
    assert (user.display_name, user.status) == ("Alice A.", "on holiday")
    assert await kit.accounts.profile(alice.user_id) == user

    for who in (alice, bob):
        last = (await kit.events(who))[-1]
        assert last["type"] == "profile.updated"
        assert last["data"]["user"] == {"id": alice.user_id, "handle": "alice", "display_name": "Alice A.",
                                        "status": "on holiday"}  # fmt: skip
    assert await kit.sync.head(carol.user_id) == carol_head


@pytest.mark.parametrize(
    "changes", [{}, {"display_name": ""}, {"display_name": "x" * 65}, {"status": "s" * 141}, {"status": "a\x07b"}]
)
async def test_a_bad_profile_update_changes_nothing(kit: Kit, changes: dict[str, str]) -> None:
    alice = await kit.user("alice")
    before = await kit.accounts.profile(alice.user_id)
    head = await kit.sync.head(alice.user_id)
    with pytest.raises(Invalid):
        await kit.accounts.update_profile(alice, **changes)
    assert await kit.accounts.profile(alice.user_id) == before
    assert await kit.sync.head(alice.user_id) == head


async def test_an_empty_status_clears_it(kit: Kit) -> None:
    alice = await kit.user("alice")
    await kit.accounts.update_profile(alice, status="busy")
    user = await kit.accounts.update_profile(alice, status="")
    assert user.status == ""


# -- what a sign-in screen is told -----------------------------------------------------------


async def test_the_server_says_whether_its_next_account_is_its_first(kit: Kit) -> None:
    info = await kit.accounts.server_info()
    assert (info.registration_open, info.first_account) == (True, True)
    await register(kit, "founder")
    assert (await kit.accounts.server_info()).first_account is False
    kit.accounts.registration_open = False
    info = await kit.accounts.server_info()
    assert (info.registration_open, info.first_account) == (False, False)
