"""kith's half of the WeChat wire format, checked against the real libraries' half: signatures,
safe-mode encryption both ways, the envelopes kith sends and the replies it accepts."""

from __future__ import annotations

import re

import pytest
import werobot.parser
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import ArticlesReply, ImageReply, TextReply, VideoReply
from wechatpy.utils import check_signature
from werobot.crypto import MessageCrypt
from werobot.replies import Article, process_function_reply
from werobot.replies import ArticlesReply as RobotArticles
from werobot.replies import VideoReply as RobotVideo

from kith.platform.crypto import CryptoError, MessageCrypto, signature
from kith.platform.envelope import AbnormalReply, parse_reply, render

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx1234567890abcdef"
GH = "gh_0123456789ab"
OPENID = "oAbCdEfGhIjKlMnOpQrStUvWx_-1"


def test_the_url_signature_is_the_one_the_libraries_check() -> None:
    check_signature("tok123", signature("tok123", "1700000000", "nonce42"), "1700000000", "nonce42")


def test_safe_mode_round_trips_with_both_libraries() -> None:
    ours = MessageCrypto(KEY, APP_ID)
    encrypted = ours.encrypt("<xml><Content><![CDATA[你好 ]]]]><![CDATA[>]]></Content></xml>")
    msg_signature = signature("tok123", "1700000000", "n1", encrypted)
    body = f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    decrypted = WeChatCrypto("tok123", KEY, APP_ID).decrypt_message(body, msg_signature, "1700000000", "n1")
    assert parse_message(decrypted.replace("<xml>", "<xml><MsgType>text</MsgType>")).content == "你好 ]]>"
    robot = MessageCrypt("tok123", KEY, APP_ID)
    assert "你好".encode() in robot.decrypt_message("1700000000", "n1", msg_signature, encrypted)
    # and the other way: what the libraries encrypt, kith decrypts
    reply = WeChatCrypto("tok123", KEY, APP_ID).encrypt_message("<xml><a>1</a></xml>", "n2", "1700000001")
    assert ours.decrypt(re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", reply).group(1)) == "<xml><a>1</a></xml>"  # type: ignore[union-attr]


def test_what_does_not_decrypt() -> None:
    ours = MessageCrypto(KEY, APP_ID)
    other = MessageCrypto(KEY, "wx0000000000000000")
    for bad in ("", "not base64!", "QUJD", other.encrypt("<xml/>")):
        with pytest.raises(CryptoError):
            ours.decrypt(bad)
    with pytest.raises(ValueError):
        MessageCrypto("too short", APP_ID)


def test_an_inbound_envelope_parses_in_both_libraries() -> None:
    text = "hi ]]></Content><MsgType>event</MsgType> <b>&amp;"
    xml = render({"ToUserName": GH, "FromUserName": OPENID, "CreateTime": 1700000000, "MsgType": "text",
                  "Content": text, "MsgId": 6054768590064713728})  # fmt: skip
    message = parse_message(xml)
    assert (message.type, message.content, message.id, message.source) == ("text", text, 6054768590064713728, OPENID)
    robot = werobot.parser.process_message(werobot.parser.parse_xml(xml))
    assert (robot.type, robot.content, robot.source) == ("text", text, OPENID)


def test_a_followers_video_parses_in_both_libraries() -> None:
    video = "q2VdL0mA3c9XhYp1f7RZbQ"
    xml = render({"ToUserName": GH, "FromUserName": OPENID, "CreateTime": 1700000000, "MsgType": "video",
                  "MediaId": video, "ThumbMediaId": video + "-poster", "MsgId": 7})  # fmt: skip
    message = parse_message(xml)
    assert (message.type, message.media_id, message.thumb_media_id) == ("video", video, video + "-poster")
    robot = werobot.parser.process_message(werobot.parser.parse_xml(xml))
    assert (robot.type, robot.media_id, robot.thumb_media_id) == ("video", video, video + "-poster")


def test_video_replies_from_both_libraries_are_accepted() -> None:
    plain = {"ToUserName": GH, "FromUserName": OPENID, "CreateTime": 1, "MsgType": "video", "MediaId": "M", "MsgId": 1}
    inbound = parse_message(render(plain))
    bare = parse_reply(VideoReply(media_id="M1", message=inbound).render().encode(), OPENID, GH)
    assert bare is not None and bare.fields["Video"] == {"MediaId": "M1"}  # wechatpy leaves out what is not given
    full = VideoReply(media_id="M1", title="T", description="D", message=inbound).render().encode()
    assert parse_reply(full, OPENID, GH).fields["Video"] == {"MediaId": "M1", "Title": "T", "Description": "D"}  # type: ignore[union-attr]
    robot_message = werobot.parser.process_message(werobot.parser.parse_xml(render(plain)))
    robot = RobotVideo(message=robot_message, media_id="M2").render().encode()  # werobot: always both, maybe empty
    assert parse_reply(robot, OPENID, GH).fields["Video"] == {"MediaId": "M2", "Title": "", "Description": ""}  # type: ignore[union-attr]


def test_replies_from_both_libraries_are_accepted() -> None:
    inbound = parse_message(render({"ToUserName": GH, "FromUserName": OPENID, "CreateTime": 1, "MsgType": "text",
                                    "Content": "x", "MsgId": 1}))  # fmt: skip
    text = parse_reply(TextReply(content="hello", message=inbound).render().encode(), OPENID, GH)
    assert text is not None and (text.msg_type, text.fields["Content"]) == ("text", "hello")
    image = parse_reply(ImageReply(media_id="M1", message=inbound).render().encode(), OPENID, GH)
    assert image is not None and image.fields["Image"] == {"MediaId": "M1"}
    news = ArticlesReply(
        message=inbound, articles=[{"title": "T", "description": "D", "image": "http://p", "url": "http://u"}]
    )
    parsed = parse_reply(news.render().encode(), OPENID, GH)
    assert parsed is not None and parsed.fields["Articles"] == [
        {"Title": "T", "Description": "D", "PicUrl": "http://p", "Url": "http://u"}
    ]
    plain = {"ToUserName": GH, "FromUserName": OPENID, "CreateTime": 1, "MsgType": "text", "Content": "x", "MsgId": 1}
    robot_message = werobot.parser.process_message(werobot.parser.parse_xml(render(plain)))
    robot_news = RobotArticles(message=robot_message)
    robot_news.add_article(Article(title="T", description="D", img="http://p", url="http://u"))
    assert parse_reply(robot_news.render().encode(), OPENID, GH).msg_type == "news"  # type: ignore[union-attr]
    robot_text = process_function_reply("indented by werobot", message=robot_message).render()
    assert parse_reply(robot_text.encode(), OPENID, GH).fields["Content"] == "indented by werobot"  # type: ignore[union-attr]
    assert parse_reply(b"", OPENID, GH) is None and parse_reply(b"success", OPENID, GH) is None


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>x</ToUserName>",  # cut off
        b"<xml><MsgType>text</MsgType><Content>a</Content><Content>b</Content></xml>",  # an injected element
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><xml><Content>&e;</Content></xml>',
        b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><xml/>',
        b"<html><body>500</body></html>",
        b'{"errcode": 0}',
        f"<xml><ToUserName>{OPENID}</ToUserName><FromUserName>{GH}</FromUserName><MsgType>shell</MsgType></xml>".encode(),
        f"<xml><ToUserName>someone_else</ToUserName><FromUserName>{GH}</FromUserName><MsgType>text</MsgType>"
        "<Content>hi</Content></xml>".encode(),
        b"<xml>" + b"<a>x</a>" * 20000 + b"</xml>",  # too large
    ],
    ids=["truncated", "duplicate", "entity", "external dtd", "html", "json", "unknown type", "wrong user", "huge"],
)
def test_abnormal_replies_are_refused(body: bytes) -> None:
    with pytest.raises(AbnormalReply):
        parse_reply(body, OPENID, GH)
