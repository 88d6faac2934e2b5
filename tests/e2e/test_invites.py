"""Invite links over the real HTTP API: a person's link makes two strangers friends after consent, a
group's link joins, every link that does not work is the same 404, and the QR codes draw the links."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable

import mediafiles
import pytest
import segno
from helpers import Server, User, befriend, register

from kith.invitekey import KEY_FILE

pytestmark = pytest.mark.asyncio(loop_scope="module")


def qr_of(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=4, xmldecl=False, dark="#000", light="#fff")
    return out.getvalue()


async def nobody(user: User, path: str, **body: object) -> dict:
    """The answer to a token nobody has: a link that does not work must get this very answer."""
    response = await user.call("POST", path, json={"token": secrets.token_urlsafe(18), **body})
    assert response.status_code == 404, response.text
    return dict(response.json())


async def test_a_personal_link_makes_strangers_friends_after_consent(shared_server: Server) -> None:
    alice = await register(shared_server, display_name="Alice of the Link")
    bob, carol = await register(shared_server), await register(shared_server)
    link = await alice.ok("GET", "/me/invite-link")
    assert link["url"] == f"{shared_server.url}/#/invite/{link['token']}"
    assert link == await alice.ok("GET", "/me/invite-link")

    card = await bob.ok("POST", "/invite-links/open", json={"token": link["token"]})
    assert card == {"display_name": "Alice of the Link", "avatar": None}
    assert alice.handle not in str(card)
    sent = await bob.call("POST", "/friend-requests", json={"invite": link["token"], "greeting": "from your QR"})
    assert sent.status_code == 201 and sent.json()["friend"] is None
    [incoming] = (await alice.ok("GET", "/friend-requests"))["incoming"]
    assert (incoming["from_user"]["id"], incoming["greeting"]) == (bob.id, "from your QR")
    await alice.ok("POST", f"/friend-requests/{incoming['id']}/accept")
    assert [f["user"]["id"] for f in (await bob.ok("GET", "/friends"))["friends"]] == [alice.id]

    # rotate: the old link answers as a token nobody has
    new = await alice.ok("POST", "/me/invite-link")
    assert new["token"] != link["token"]
    expected = await nobody(carol, "/invite-links/open")
    old = await carol.call("POST", "/invite-links/open", json={"token": link["token"]})
    assert (old.status_code, old.json()) == (404, expected)
    old = await carol.call("POST", "/friend-requests", json={"invite": link["token"]})
    assert (old.status_code, old.json()) == (404, expected)

    # blocked by alice: the same
    await alice.ok("POST", "/blocks", json={"handle": carol.handle})
    blocked = await carol.call("POST", "/invite-links/open", json={"token": new["token"]})
    assert (blocked.status_code, blocked.json()) == (404, expected)

    # the QR code draws the link; the image can run nothing
    qr = await alice.call("GET", "/me/invite-link/qr")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert qr.content == qr_of(new["url"])
    assert "default-src 'none'" in qr.headers["content-security-policy"]
    assert qr.headers["cache-control"] == "no-store"
    assert b"<script" not in qr.content

    # the token is nowhere in the database; the key is beside it, outside
    assert new["token"] not in repr(shared_server.dump())
    assert (shared_server.data_dir / KEY_FILE).exists()


async def test_a_group_link_joins_until_revoked(shared_server: Server) -> None:
    owner, member, visitor, late = [await register(shared_server) for _ in range(4)]
    await befriend(owner, member)
    group = await owner.ok("POST", "/conversations/groups", json={"name": "Link Hikers", "user_ids": [member.id]})
    gid = group["id"]
    await owner.ok("POST", f"/conversations/{gid}/messages", json={"id": "before", "text": "before anyone joined"})
    made = await owner.call("POST", f"/conversations/{gid}/invite-links", json={"expires_in": 3600, "max_uses": 5})
    assert made.status_code == 201, made.text
    link = made.json()
    assert link["url"] == f"{shared_server.url}/#/join/{link['token']}"
    assert link["expires_at"] - link["created_at"] == 3600 * 1000

    card = await visitor.ok("POST", "/group-links/open", json={"token": link["token"]})
    assert card == {"name": "Link Hikers", "member_count": 2}
    joined = await visitor.ok("POST", "/group-links/join", json={"token": link["token"]})
    assert joined["id"] == gid and joined["member_count"] == 3
    seen = (await visitor.ok("GET", f"/conversations/{gid}/messages"))["messages"]
    assert [m["system"]["action"] for m in seen] == ["joined_by_link"]

    [listed] = (await owner.ok("GET", f"/conversations/{gid}/invite-links"))["links"]
    assert listed["uses"] == 1 and listed["token"] == link["token"]
    qr = await owner.call("GET", f"/conversations/{gid}/invite-links/{link['id']}/qr")
    assert qr.status_code == 200 and qr.content == qr_of(link["url"])
    # a member of the group does not manage the owner's link; a stranger does not see the group
    assert (await member.call("GET", f"/conversations/{gid}/invite-links/{link['id']}/qr")).status_code == 404
    assert (await late.call("GET", f"/conversations/{gid}/invite-links")).status_code == 404

    assert (await owner.call("DELETE", f"/conversations/{gid}/invite-links/{link['id']}")).status_code == 204
    expected = await nobody(late, "/group-links/open")
    for path in ("/group-links/open", "/group-links/join"):
        gone = await late.call("POST", path, json={"token": link["token"]})
        assert (gone.status_code, gone.json()) == (404, expected)
    assert link["token"] not in repr(shared_server.dump())


async def test_a_group_picture_is_shown_through_a_working_link(shared_server: Server) -> None:
    owner, member, visitor = [await register(shared_server) for _ in range(3)]
    await befriend(owner, member)
    gid = (await owner.ok("POST", "/conversations/groups", json={"name": "Pictured", "user_ids": [member.id]}))["id"]
    link = await owner.ok("POST", f"/conversations/{gid}/invite-links", json={})
    missing = await visitor.call("POST", "/group-links/picture", json={"token": link["token"]})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "no_picture")
    upload = await owner.call("POST", "/media", data={"kind": "image"}, files={"file": ("g.png", mediafiles.png())})
    picture = upload.json()["id"]
    await owner.ok("PUT", f"/conversations/{gid}/avatar", json={"media_id": picture})
    card = await visitor.ok("POST", "/group-links/open", json={"token": link["token"]})
    assert card["avatar"] == picture
    # the media route serves it to members only; the link's own route to whoever holds the link
    assert (await visitor.call("GET", f"/media/{picture}/thumbnail")).status_code == 404
    shown = await visitor.call("POST", "/group-links/picture", json={"token": link["token"]})
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("image/")
    await owner.ok("DELETE", f"/conversations/{gid}/invite-links/{link['id']}")
    gone = await visitor.call("POST", "/group-links/picture", json={"token": link["token"]})
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "no_such_invite")


async def test_opening_links_is_rate_limited(make_server: Callable[..., Server]) -> None:
    server = make_server({"KITH_RATE_INVITE_USER": "3/600"})
    visitor = await register(server)
    for _ in range(3):
        assert (await visitor.call("POST", "/group-links/open", json={"token": "A" * 24})).status_code == 404
    refused = await visitor.call("POST", "/invite-links/open", json={"token": "A" * 24})
    assert refused.status_code == 429 and refused.json()["error"]["retry_after"] > 0
    await visitor.aclose()
