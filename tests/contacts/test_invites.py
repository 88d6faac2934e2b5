"""A person's invite link: a card of the inviter, a friend request through it, rotation, and one 404
for every link that does not work."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from domain import Kit

from kith.errors import Invalid, NotFound, RateLimited
from kith.invitekey import KEY_FILE, InviteKey, digest


def random_token() -> str:
    return secrets.token_urlsafe(18)


async def refusal(call) -> tuple[type, str, str]:  # type: ignore[no-untyped-def]
    """What a refused call says: its kind, code and message (to compare two refusals)."""
    with pytest.raises((NotFound, Invalid)) as caught:
        await call
    return type(caught.value), caught.value.code, caught.value.message


async def test_a_link_shows_a_card_without_the_handle_and_leads_to_a_request(kit: Kit) -> None:
    alice, bob = await kit.user("inv_alice"), await kit.user("inv_bob")
    await kit.accounts.update_profile(alice, display_name="Alice A", status="secret status")
    link = await kit.contacts.invite_link(alice)
    assert link == await kit.contacts.invite_link(alice)  # the same link each time

    card = await kit.contacts.open_invite(bob, link.token)
    assert (card.display_name, card.is_friend, card.is_self, card.requested, card.user_id) == (
        "Alice A", False, False, False, None,
    )  # fmt: skip
    sent = await kit.contacts.send_request(bob, greeting="met at the market", invite=link.token)
    assert sent["friend"] is None and sent["request"].greeting == "met at the market"
    assert (await kit.contacts.open_invite(bob, link.token)).requested

    # mutual consent: alice accepts as usual
    incoming = (await kit.contacts.requests(alice))["incoming"]
    assert [r.from_user.id for r in incoming] == [bob.user_id]
    await kit.contacts.accept(alice, incoming[0].id)
    card = await kit.contacts.open_invite(bob, link.token)
    assert card.is_friend and card.user_id == alice.user_id

    mine = await kit.contacts.open_invite(alice, link.token)
    assert mine.is_self and mine.user_id == alice.user_id
    with pytest.raises(Invalid) as caught:
        await kit.contacts.send_request(alice, invite=link.token)
    assert (caught.value.code, caught.value.fields["field"]) == ("self_request", "invite")


async def test_rotating_ends_the_old_link(kit: Kit) -> None:
    alice, bob = await kit.user(), await kit.user()
    old = await kit.contacts.invite_link(alice)
    new = await kit.contacts.rotate_invite(alice)
    assert new.token != old.token and (await kit.contacts.invite_link(alice)).token == new.token
    assert (await kit.contacts.open_invite(bob, new.token)).display_name == "Someone"
    nobody = await refusal(kit.contacts.open_invite(bob, random_token()))
    assert nobody[1] == "no_such_invite"
    assert await refusal(kit.contacts.open_invite(bob, old.token)) == nobody
    assert await refusal(kit.contacts.send_request(bob, invite=old.token)) == nobody


async def test_a_blockers_link_and_a_deleted_users_answer_as_nobodys(kit: Kit) -> None:
    alice, bob, carol = await kit.user(), await kit.user(), await kit.user()
    link = await kit.contacts.invite_link(alice)
    await kit.contacts.block(alice, handle=(await kit.accounts.profile(bob.user_id)).handle)
    nobody = await refusal(kit.contacts.open_invite(bob, random_token()))
    assert await refusal(kit.contacts.open_invite(bob, link.token)) == nobody
    assert await refusal(kit.contacts.send_request(bob, invite=link.token)) == nobody
    assert (await kit.contacts.open_invite(carol, link.token)).display_name  # others still may

    await kit.deletion.delete(alice.user_id)
    assert await kit.rows("SELECT user_id FROM invite_links WHERE user_id = ?", alice.user_id) == []
    assert await refusal(kit.contacts.open_invite(carol, link.token)) == nobody


async def test_malformed_tokens_are_invalid(kit: Kit) -> None:
    bob = await kit.user()
    for token in ("", "short", "x" * 25, "a" * 23 + "!", "a" * 23 + "\n"):
        with pytest.raises(Invalid):
            await kit.contacts.open_invite(bob, token)
    with pytest.raises(Invalid):
        await kit.contacts.send_request(bob, handle="someone", invite=random_token())


async def test_opening_links_is_rate_limited_per_user(make_kit) -> None:  # type: ignore[no-untyped-def]
    kit: Kit = await make_kit(rate_invite_user="3/600")
    bob, carol = await kit.user(), await kit.user()
    for _ in range(3):
        with pytest.raises(NotFound):
            await kit.contacts.open_invite(bob, random_token())
    with pytest.raises(RateLimited):
        await kit.contacts.open_invite(bob, random_token())
    with pytest.raises(NotFound):  # another user has a budget of their own
        await kit.contacts.open_invite(carol, random_token())
    kit.clock.advance(600)
    with pytest.raises(NotFound):
        await kit.contacts.open_invite(bob, random_token())


async def test_the_database_holds_no_working_token(kit: Kit) -> None:
    alice = await kit.user()
    link = await kit.contacts.invite_link(alice)
    dump = repr(kit.dump())
    assert link.token not in dump
    [(stored,)] = await kit.rows("SELECT token_hash FROM invite_links WHERE user_id = ?", alice.user_id)
    assert bytes(stored) == digest(link.token)


async def test_the_key_is_kept_outside_the_database_and_a_new_key_makes_a_new_link(tmp_path: Path, kit: Kit) -> None:
    first = InviteKey.load("", tmp_path)
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o077 == 0
    assert InviteKey.load("", tmp_path).token(b"n" * 16) == first.token(b"n" * 16)
    assert InviteKey.load("ab" * 32, tmp_path).token(b"n" * 16) != first.token(b"n" * 16)
    with pytest.raises(ValueError):
        InviteKey.load("not hex", tmp_path)

    alice, bob = await kit.user(), await kit.user()
    old = await kit.contacts.invite_link(alice)
    kit.contacts.key = InviteKey(secrets.token_bytes(32))  # the data directory lost its invite.key
    assert (await kit.contacts.open_invite(bob, old.token)).display_name  # found by its digest still
    fresh = await kit.contacts.invite_link(alice)  # but not shown again: a new one instead
    assert fresh.token != old.token
    with pytest.raises(NotFound):
        await kit.contacts.open_invite(bob, old.token)


async def test_a_request_through_a_link_to_someone_already_asking_accepts(kit: Kit) -> None:
    alice, bob = await kit.user(), await kit.user()
    link = await kit.contacts.invite_link(alice)
    await kit.contacts.send_request(alice, handle=(await kit.accounts.profile(bob.user_id)).handle)
    result = await kit.contacts.send_request(bob, invite=link.token)
    assert result["friend"] is not None and result["friend"].user.id == alice.user_id
