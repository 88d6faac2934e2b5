"""Moments over the real HTTP API and WebSocket: a post's images follow the post's audience, notices
arrive live, a repost of the same id stores nothing, and bad posts are refused with nothing kept."""

from __future__ import annotations

import asyncio
from typing import Any

import mediafiles
import pytest
from helpers import Server, Socket, User, befriend, register

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def photo(user: User) -> str:
    response = await user.call(
        "POST", "/media", data={"kind": "image"}, files={"file": ("a.jpg", mediafiles.jpeg(64, 48))}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def posts(server: Server) -> int:
    return int(server.rows("SELECT COUNT(*) FROM moment_posts")[0][0])


async def test_a_posts_images_are_served_to_whoever_sees_the_post(shared_server: Server) -> None:
    author, friend, stranger = [await register(shared_server) for _ in range(3)]
    await befriend(author, friend)
    image = await photo(author)
    made = await author.call("POST", "/moments/posts", json={"id": "p1", "text": "the harbour", "images": [image]})
    assert made.status_code == 201, made.text
    post = made.json()
    assert post["images"] == [image] and post["audience"] == "friends"

    again = await author.call("POST", "/moments/posts", json={"id": "p1", "text": "changed my mind"})
    assert again.status_code == 200 and again.json()["id"] == post["id"] and again.json()["text"] == "the harbour"

    async def timeline_ids(user: User) -> list[int]:
        return [p["id"] for p in (await user.ok("GET", "/moments/timeline"))["posts"]]

    for _ in range(100):  # the fan-out runs from the outbox, just after the post commits
        if await timeline_ids(friend):
            break
        await asyncio.sleep(0.05)
    assert await timeline_ids(friend) == [post["id"]]
    assert (await friend.call("GET", f"/media/{image}")).status_code == 200
    assert "audience" not in (await friend.ok("GET", f"/moments/posts/{post['id']}"))

    for path in (f"/media/{image}", f"/moments/posts/{post['id']}", f"/moments/users/{author.id}/posts"):
        refused = await stranger.call("GET", path)
        assert refused.status_code == 404, (path, refused.text)
    assert await timeline_ids(stranger) == []

    await author.ok("DELETE", f"/friends/{friend.id}")
    assert (await friend.call("GET", f"/media/{image}")).status_code == 404
    assert await timeline_ids(friend) == []


async def test_notices_arrive_live_and_deleting_a_post_takes_everything_with_it(shared_server: Server) -> None:
    author, friend = await register(shared_server), await register(shared_server)
    await befriend(author, friend)
    post = await author.ok("POST", "/moments/posts", json={"id": "n1", "text": "first light"})
    socket = await Socket.connect(author)
    try:
        await friend.ok("PUT", f"/moments/posts/{post['id']}/like")
        said = await friend.call("POST", f"/moments/posts/{post['id']}/comments", json={"text": "gorgeous"})
        assert said.status_code == 201, said.text

        def notices_so_far() -> list[dict[str, Any]]:
            return [e for e in socket.events if e["type"].startswith("moment.")]

        notices = await socket.wait_for(lambda: len(notices_so_far()) >= 2 and notices_so_far())
        assert [n["type"] for n in notices] == ["moment.liked", "moment.commented"]
        assert notices[0]["data"]["user"]["id"] == friend.id and notices[0]["data"]["post"]["id"] == post["id"]
        assert notices[1]["data"]["comment"]["text"] == "gorgeous"
    finally:
        await socket.close()
    seen = await author.ok("GET", f"/moments/posts/{post['id']}")
    assert [like["user"]["id"] for like in seen["likes"]] == [friend.id] and len(seen["comments"]) == 1
    assert (await friend.ok("DELETE", f"/moments/posts/{post['id']}/like"))["likes"] == []
    assert (await friend.call("DELETE", f"/moments/posts/{post['id']}")).status_code == 404  # not theirs
    assert (await author.call("DELETE", f"/moments/posts/{post['id']}")).status_code == 204
    assert (await friend.call("GET", f"/moments/posts/{post['id']}")).status_code == 404
    assert shared_server.rows("SELECT COUNT(*) FROM moment_comments WHERE post_id = ?", post["id"]) == [(0,)]


BAD_POSTS: list[tuple[str, dict[str, Any], int, str | None]] = [
    ("nothing to post", {"id": "b1"}, 400, None),
    ("blank text", {"id": "b2", "text": "  \n "}, 400, "text"),
    ("text too long", {"id": "b3", "text": "x" * 9000}, 413, "text"),
    ("ten images", {"id": "b4", "images": [f"{n:022d}" for n in range(10)]}, 400, "images"),
    ("an image twice", {"id": "b5", "images": ["A" * 22, "A" * 22]}, 400, "images"),
    ("an image nobody uploaded", {"id": "b6", "images": ["A" * 22]}, 404, "media_id"),
    ("a place too long", {"id": "b7", "text": "hi", "place": "p" * 81}, 400, "place"),
    ("an unknown audience", {"id": "b8", "text": "hi", "audience": "public"}, 400, "audience"),
    ("only, naming nobody", {"id": "b9", "text": "hi", "audience": "only"}, 400, "people"),
    ("friends, naming someone", {"id": "b10", "text": "hi", "people": [1]}, 400, "people"),
    ("naming a stranger", {"id": "b11", "text": "hi", "audience": "only", "people": [10**9]}, 400, "people"),
    ("a bad id", {"id": "not ok!", "text": "hi"}, 400, "id"),
    ("text of the wrong type", {"id": "b12", "text": 5}, 400, None),
    ("an unknown field", {"id": "b13", "text": "hi", "public": True}, 400, None),
]


@pytest.mark.parametrize(("case", "body", "status", "field"), BAD_POSTS, ids=[b[0] for b in BAD_POSTS])
async def test_a_bad_post_is_refused_and_nothing_is_kept(
    shared_server: Server, case: str, body: dict[str, Any], status: int, field: str | None
) -> None:
    user = await register(shared_server)
    before = posts(shared_server)
    response = await user.call("POST", "/moments/posts", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    if field is not None:
        assert error.get("field") == field, error
    assert posts(shared_server) == before


async def test_bad_comments_pages_and_settings_are_refused(shared_server: Server) -> None:
    author, friend, stranger = [await register(shared_server) for _ in range(3)]
    await befriend(author, friend)
    post = await author.ok("POST", "/moments/posts", json={"id": "c1", "text": "hello"})
    cases = [
        (stranger, "POST", f"/moments/posts/{post['id']}/comments", {"text": "hi"}, 404),  # cannot see it
        (stranger, "PUT", f"/moments/posts/{post['id']}/like", None, 404),
        (friend, "POST", f"/moments/posts/{post['id']}/comments", {"text": ""}, 400),
        (friend, "POST", f"/moments/posts/{post['id']}/comments", {"text": "y" * 3000}, 413),
        (friend, "POST", f"/moments/posts/{post['id']}/comments", {"text": "hi", "reply_to": 10**9}, 404),
        (friend, "GET", "/moments/timeline?limit=0", None, 400),
        (friend, "GET", "/moments/timeline?limit=51", None, 400),
        (friend, "GET", "/moments/timeline?before=abc", None, 400),
        (friend, "PUT", "/moments/settings", {"window_days": 7}, 400),
        (friend, "DELETE", "/moments/comments/999999999", None, 404),
    ]
    for user, method, path, body, status in cases:
        kwargs = {"json": body} if body is not None else {}
        response = await user.call(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.text)
        assert list(response.json()) == ["error"]
    assert shared_server.rows("SELECT COUNT(*) FROM moment_comments WHERE post_id = ?", post["id"]) == [(0,)]
    assert (await friend.ok("GET", "/moments/settings")) == {"window_days": 0}
