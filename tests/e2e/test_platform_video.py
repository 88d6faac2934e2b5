"""Videos on the official-accounts platform end to end, with the real wechatpy and werobot: uploaded
through media/upload, a werobot bot hearing a follower's video (MediaId, ThumbMediaId) and answering
with one, customer-service and mass (mpvideo) videos, and what is refused."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import httpx
import mediafiles
import pytest
import wechatpy
import werobot
from helpers import User, account_messages, free_port, kith_client, kith_robot, register, serve_wsgi, wait_for
from PIL import Image
from wechatpy.exceptions import WeChatClientException
from werobot.replies import VideoReply

pytestmark = pytest.mark.asyncio(loop_scope="module")

ALLOW_LOCAL = {"KITH_PLATFORM_ALLOW_PRIVATE_WEBHOOKS": "true"}


def mass_video(client: Any, media_id: str) -> Any:
    """``send_mass_video`` to everyone, in the words of the installed wechatpy (1.x: audience first)."""
    if wechatpy.__version__.startswith("1."):
        return client.message.send_mass_video(None, media_id, is_to_all=True)
    return client.message.send_mass_video(media_id, None, is_to_all=True)


async def test_videos_between_a_follower_and_a_bot(make_server: Any) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader = await register(server), await register(server)
    created = await owner.ok("POST", "/official-accounts", json={"name": "Harbour Films", "kind": "subscription"})
    account = created["account"]
    client = kith_client(server.url, account["app_id"], created["app_secret"])

    # the publisher uploads a video through wechatpy: cleaned like every upload
    tour = await asyncio.to_thread(client.media.upload, "video", ("tour.mp4", mediafiles.video(1.5)))
    assert tour["type"] == "video" and len(tour["media_id"]) == 22 and tour["created_at"] > 0

    robot = werobot.WeRoBot(token="kithvideo1", SESSION_STORAGE=False)
    heard: list[Any] = []

    @robot.video
    def film(message: Any) -> Any:
        heard.append(message)
        return VideoReply(message=message, media_id=tour["media_id"], title="Harbour tour", description="At dawn")

    port = free_port()
    httpd = serve_wsgi(robot.wsgi, port)
    try:
        hook = {"webhook_url": f"http://127.0.0.1:{port}/", "token": "kithvideo1"}
        await owner.ok("PUT", f"/official-accounts/{account['id']}/webhook", json=hook)
        chat = (await reader.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"]

        # the follower sends a video; the bot hears MsgType video with MediaId and ThumbMediaId
        clip = await reader.ok("POST", "/media", params={"kind": "video", "name": "boat.mp4"},
                               content=mediafiles.video(1.0), headers={"Content-Type": "video/mp4"})  # fmt: skip
        await reader.ok("POST", f"/conversations/{chat}/messages", json={"id": "v1", "media_id": clip["id"]})
        answer = (await wait_for(lambda: account_messages(reader, chat, "video")))[0]
        assert answer["media"]["id"] == tour["media_id"] and answer["text"] == "Harbour tour\nAt dawn"
        assert answer["media"]["kind"] == "video" and answer["media"]["mime"] == "video/mp4"
        poster = await reader.call("GET", f"/media/{tour['media_id']}/thumbnail")
        assert poster.headers["content-type"] == "image/jpeg"
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert [(m.type, m.media_id, m.thumb_media_id) for m in heard] == [("video", clip["id"], clip["id"] + "-poster")]

    # the bot fetches what it was sent: a video as WeChat answers it (a link to the bytes), its poster
    linked = await asyncio.to_thread(client.media.download, clip["id"])  # wechatpy hands the JSON over as a dict
    video_url = linked["video_url"]
    async with httpx.AsyncClient() as http:
        served = await http.get(video_url)
    assert served.status_code == 200 and served.headers["content-type"] == "video/mp4"
    assert served.content == (await reader.call("GET", f"/media/{clip['id']}")).content
    shot = await asyncio.to_thread(client.media.download, heard[0].thumb_media_id)
    assert shot.headers["content-type"] == "image/jpeg" and Image.open(io.BytesIO(shot.content)).size == (320, 240)

    # a customer-service video, inside the window the follower's message opened
    openid = heard[0].source
    await asyncio.to_thread(client.message.send_video, openid, tour["media_id"], "Again", "The tour, once more")
    again = await wait_for(lambda: _count(reader, chat, 2))
    assert again[-1]["text"] == "Again\nThe tour, once more"

    # a mass video: media/uploadvideo gives it its title and description, mpvideo sends it
    made = await asyncio.to_thread(client.media.upload_video, tour["media_id"], "Regatta", "Sunday's race")
    assert made["type"] == "video" and made["media_id"].startswith("mpvideo-")
    await asyncio.to_thread(mass_video, client, made["media_id"])
    mass = await wait_for(lambda: _count(reader, chat, 3))
    assert mass[-1]["media"]["id"] == tour["media_id"] and mass[-1]["text"] == "Regatta\nSunday's race"


async def _count(user: User, chat: int, n: int) -> list[dict[str, Any]] | None:
    videos = await account_messages(user, chat, "video")
    return videos if len(videos) == n else None


async def test_bad_videos_are_refused_with_their_errcode_and_change_nothing(make_server: Any) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader = await register(server), await register(server)
    created = await owner.ok("POST", "/official-accounts", json={"name": "Tide Films", "kind": "subscription"})
    account = created["account"]
    client = kith_client(server.url, account["app_id"], created["app_secret"])
    chat = (await reader.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"]
    openid = (await asyncio.to_thread(client.user.get_followers))["data"]["openid"][0]
    picture = (await asyncio.to_thread(client.media.upload, "image", ("p.png", mediafiles.png())))["media_id"]
    tour = (await asyncio.to_thread(client.media.upload, "video", ("t.mp4", mediafiles.video(0.5))))["media_id"]
    theirs = await reader.ok("POST", "/media", params={"kind": "video"}, content=mediafiles.video(0.5),
                             headers={"Content-Type": "video/mp4"})  # fmt: skip

    async def errcode(call: Any, *args: Any) -> int:
        with pytest.raises(WeChatClientException) as refused:
            await asyncio.to_thread(call, *args)
        return int(refused.value.errcode)

    upload = client.media.upload
    assert await errcode(upload, "video", ("x.mp4", b"not a video")) == 40005
    assert await errcode(upload, "video", ("x.mp4", mediafiles.jpeg())) == 40005  # a picture named .mp4
    assert await errcode(upload, "video", ("x.mp4", mediafiles.video(2.0)[:9000])) == 40005  # cut short
    assert await errcode(upload, "shortvideo", ("x.mp4", mediafiles.video(0.5))) == 40004
    long = mediafiles.video(301, size=(64, 64), fps=1, audio=None, tags=False)
    assert await errcode(upload, "video", ("x.mp4", long)) == 40006

    # the window: the follower wrote, so there is room for the refusals to be about the video
    await reader.ok("POST", f"/conversations/{chat}/messages", json={"id": "w", "text": "films?"})
    send = client.message.send_video
    assert await errcode(send, openid, picture) == 40007  # not a video
    assert await errcode(send, openid, theirs["id"]) == 40007  # not the account's
    assert await errcode(send, openid, "AAAAAAAAAAAAAAAAAAAAAA") == 40007
    assert await errcode(send, openid, tour, "t" * 65) == 45003
    assert await errcode(send, openid, tour, "t", "d" * 121) == 45004
    made = client.media.upload_video
    assert await errcode(made, picture, "t", "d") == 40007
    assert await errcode(made, "mpvideo-not base64!", "t", "d") == 40007
    assert await errcode(client.media.download, "AAAAAAAAAAAAAAAAAAAAAA-poster") == 40007
    assert await errcode(client.media.download, picture + "-poster") == 40007  # a picture has no poster
    async with httpx.AsyncClient(base_url=server.url + "/cgi-bin") as http:
        token = (await http.get("/token", params={"grant_type": "client_credential", "appid": account["app_id"],
                                                  "secret": created["app_secret"]})).json()["access_token"]  # fmt: skip

        async def raw(video: dict[str, Any]) -> int:
            body = {"touser": openid, "msgtype": "video", "video": video}
            content = json.dumps(body).encode()  # ASCII: a lone surrogate goes as its \u escape
            answer = await http.post("/message/custom/send", params={"access_token": token}, content=content)
            return int(answer.json()["errcode"])

        assert await raw({"media_id": tour, "title": 5}) == 40035
        assert await raw({"media_id": tour, "title": "bell\u0007"}) == 40035
        assert await raw({"media_id": tour, "description": "half \ud800"}) == 40035
        assert await raw({"media_id": "mpvideo-eyJtIjogMX0"}) == 40007  # {"m": 1}
        assert await raw({"title": "no media id"}) == 40007
    assert await account_messages(reader, chat, "video") == []  # none of it reached the follower
    assert server.rows("SELECT COUNT(*) FROM media") == [(3,)]  # the picture and the two videos, no more

    # a passive reply may only show the owner's uploads: a follower's video, or none at all, is abnormal
    robot = werobot.WeRoBot(token="kithvideo2", SESSION_STORAGE=False)
    replies = iter([theirs["id"], ""])
    robot.text(lambda message: VideoReply(message=message, media_id=next(replies)))
    port = free_port()
    httpd = serve_wsgi(robot.wsgi, port)
    try:
        hook = {"webhook_url": f"http://127.0.0.1:{port}/", "token": "kithvideo2"}
        await owner.ok("PUT", f"/official-accounts/{account['id']}/webhook", json=hook)
        for n in range(2):
            await reader.ok("POST", f"/conversations/{chat}/messages", json={"id": f"r{n}", "text": "a film?"})

        async def logged() -> Any:
            deliveries = (await owner.ok("GET", f"/official-accounts/{account['id']}/deliveries"))["deliveries"]
            return deliveries if len(deliveries) == 2 else None

        assert [d["status"] for d in await wait_for(logged)] == ["abnormal_reply", "abnormal_reply"]
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert await account_messages(reader, chat, "video") == []


async def test_video_material_is_kept_with_its_title_and_introduction(make_server: Any) -> None:
    server = make_server(ALLOW_LOCAL)
    owner, reader = await register(server), await register(server)
    created = await owner.ok("POST", "/official-accounts", json={"name": "Quay Films", "kind": "service"})
    account = created["account"]
    client = kith_client(server.url, account["app_id"], created["app_secret"])
    film = mediafiles.video(1.0)

    # wechatpy sends the description in the query, werobot as a form field: both are kept
    kept = await asyncio.to_thread(client.material.add, "video", ("tour.mp4", film), "Harbour tour", "At dawn")
    async with httpx.AsyncClient(base_url=server.url + "/cgi-bin") as http:
        token = (await http.get("/token", params={"grant_type": "client_credential", "appid": account["app_id"],
                                                  "secret": created["app_secret"]})).json()["access_token"]  # fmt: skip
        form = await http.post("/material/add_material", params={"access_token": token, "type": "video"},
                               data={"description": json.dumps({"title": "Quay", "introduction": "Noon"})},
                               files={"media": ("quay.mp4", film)})  # fmt: skip
    second = form.json()
    robot = kith_robot(server.url, account["app_id"], created["app_secret"])
    assert robot.get_media_count()["video_count"] == 2
    listed = await asyncio.to_thread(client.material.batchget, "video")
    assert [(i["media_id"], i["name"]) for i in listed["item"]] == [
        (second["media_id"], "quay.mp4"),
        (kept["media_id"], "tour.mp4"),
    ]

    # get_material: its title and description, and a down_url the publisher's server can fetch
    got = await asyncio.to_thread(client.material.get, kept["media_id"])
    assert (got["title"], got["description"]) == ("Harbour tour", "At dawn")
    async with httpx.AsyncClient() as http:
        down = await http.get(got["down_url"])
    served = await owner.call("GET", f"/media/{kept['media_id']}")
    assert down.headers["content-type"] == "video/mp4" and down.content == served.content
    assert b"iPhone" not in down.content  # kept as every upload is: clean

    # material is the owner's upload: it goes out as any video does, and stays after the sweep would
    chat = (await reader.ok("PUT", f"/official-accounts/{account['id']}/follow"))["conversation_id"]
    openid = (await asyncio.to_thread(client.user.get_followers))["data"]["openid"][0]
    await asyncio.to_thread(client.message.send_video, openid, kept["media_id"], "From the archive")
    sent = await wait_for(lambda: account_messages(reader, chat, "video"))
    assert sent[0]["media"]["id"] == kept["media_id"] and sent[0]["text"] == "From the archive"
    await asyncio.to_thread(client.material.delete, second["media_id"])
    assert (await asyncio.to_thread(client.material.get_count))["video_count"] == 1
    with pytest.raises(WeChatClientException) as gone:
        await asyncio.to_thread(client.material.get, second["media_id"])
    assert gone.value.errcode == 40007
    with pytest.raises(WeChatClientException) as long_title:
        await asyncio.to_thread(client.material.add, "video", ("t.mp4", film), "t" * 65, "i")
    assert long_title.value.errcode == 45003
