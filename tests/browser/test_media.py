"""Pictures, voice notes, files and avatars in the browser, between two people, against a real server."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from pathlib import Path

import mediafiles
from kithweb import DESKTOP, PHONE, Account, Api, App
from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect


def picture(width: int, height: int, fmt: str = "JPEG", hue: tuple[int, int, int] = (38, 120, 160)) -> bytes:
    """A real picture: a sky, a sun and some hills, so a screenshot shows whether it is drawn right."""
    image = Image.new("RGB", (width, height), hue)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = int(90 * y / height)
        draw.line([(0, y), (width, y)], fill=(hue[0] + shade, min(255, hue[1] + shade), min(255, hue[2] + shade // 2)))
    draw.ellipse([width * 0.62, height * 0.12, width * 0.82, height * 0.12 + width * 0.2], fill=(250, 214, 90))
    draw.polygon([(0, height), (width * 0.35, height * 0.45), (width * 0.7, height)], fill=(40, 90, 60))
    ridge = [(width * 0.4, height), (width * 0.75, height * 0.55), (width, height * 0.8), (width, height)]
    draw.polygon(ridge, fill=(30, 70, 50))
    out = io.BytesIO()
    image.save(out, fmt, quality=88) if fmt == "JPEG" else image.save(out, fmt)
    return out.getvalue()


def friends_in_a_chat(api: Api) -> tuple[Account, Account, int]:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    conversation = api.direct(alice, bob)
    api.say(bob, conversation, "Did you take pictures at the harbour?")
    return alice, bob, conversation


def wait_loaded(page: Page, image: Locator) -> int:
    """Wait until an <img> has really decoded something; returns its natural width."""
    expect(image).to_be_attached()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    return int(image.evaluate("img => img.naturalWidth"))


def pick(app: App, menu_item: str, files: list[dict[str, object]]) -> None:
    """Attach → Photo or File, and choose files in the browser's file chooser."""
    app.page.get_by_role("button", name="Attach").click()
    with app.page.expect_file_chooser() as chooser:
        app.page.get_by_role("menuitem", name=menu_item).click()
    chooser.value.set_files(files)


def hold(page: Page, target: Locator, ms: int) -> None:
    box = target.bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(ms)
    page.mouse.up()


def test_a_picture_from_the_picker_reaches_a_friend_who_opens_it_full_size(
    new_app: Callable[..., App], api: Api
) -> None:
    alice, bob, conversation = friends_in_a_chat(api)
    a = new_app("alice").signed_in_as(alice, f"chats/{conversation}")
    b = new_app("bob", PHONE).signed_in_as(bob, "chats")
    photo = picture(1200, 900)

    pick(a, "Photo", [{"name": "harbour.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    preview = a.page.get_by_role("dialog", name="Send photo")
    wait_loaded(a.page, preview.locator("img"))
    a.screenshot("media-preview-desktop")
    preview.get_by_role("button", name="Send").click()
    expect(preview).to_be_hidden()
    mine = a.page.locator(".msg.mine", has=a.page.locator(".msg-image"))
    expect(mine).to_have_attribute("data-state", "sent")
    # shown at its final size straight away: 1200 x 900 fits 280 x 210
    box = mine.locator(".msg-image").bounding_box()
    assert box and round(box["width"]) == 280 and round(box["height"]) == 210, box

    # Bob, on his phone, sees it in the list and in the chat
    item = b.chat_item("Alice Chen")
    expect(item.locator(".chat-preview")).to_have_text("[Photo]")
    b.open_chat("Alice Chen")
    thumb = b.page.locator(".msg.theirs .msg-image img")
    assert wait_loaded(b.page, thumb) <= 400  # the thumbnail, not the full picture
    expect(b.page.locator(".msg.theirs .msg-image")).to_have_class(re.compile(r"\bloaded\b"))
    b.screenshot("media-image-phone")

    # a click opens the full picture; Escape closes it
    b.page.locator(".msg.theirs .msg-image").click()
    lightbox = b.page.get_by_role("dialog", name="harbour.jpg")
    expect(lightbox).to_be_visible()
    full = lightbox.locator("img")
    b.page.wait_for_function("img => img.complete && img.naturalWidth === 1200", arg=full.element_handle())
    b.screenshot("media-lightbox-phone")
    b.page.keyboard.press("Escape")
    expect(lightbox).to_have_count(0)
    # and a click anywhere closes it too
    b.page.locator(".msg.theirs .msg-image").click()
    expect(lightbox).to_be_visible()
    lightbox.locator(".lightbox-stage").click()
    expect(lightbox).to_have_count(0)

    # the server kept one image message, with the picture's real size
    stored = [m for m in api.messages(bob, conversation) if m["kind"] == "image"]
    assert len(stored) == 1 and stored[0]["text"] == ""
    assert (stored[0]["media"]["width"], stored[0]["media"]["height"]) == (1200, 900)
    a.screenshot("media-image-desktop")


def test_pictures_can_be_pasted_and_files_dropped_on_the_chat(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, conversation = friends_in_a_chat(api)
    a = new_app("alice").signed_in_as(alice, f"chats/{conversation}")
    b = new_app("bob", color_scheme="dark").signed_in_as(bob, f"chats/{conversation}")

    # a picture pasted from the clipboard into the composer (a real ClipboardEvent and DataTransfer),
    # as a reply to Bob's question
    png = base64.b64encode(picture(300, 500, "PNG", hue=(150, 60, 90))).decode()
    question = a.message("Did you take pictures at the harbour?")
    question.hover()
    question.get_by_role("button", name="Message actions").click()
    a.page.get_by_role("menuitem", name="Reply").click()
    expect(a.page.locator(".reply-bar")).to_contain_text("Replying to Bob Martin")
    a.page.evaluate(
        """png => {
            const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
            const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
            document.querySelector('.composer-input').dispatchEvent(event);
        }""",
        png,
    )
    preview = a.page.get_by_role("dialog", name="Send photo")
    wait_loaded(a.page, preview.locator("img"))
    preview.get_by_role("button", name="Send").click()
    expect(a.page.locator(".reply-bar")).to_be_hidden()
    thumb = b.page.locator(".msg.theirs .msg-image img")
    wait_loaded(b.page, thumb)
    quote = b.page.locator(".msg.theirs", has=b.page.locator(".msg-image")).locator(".quote")
    expect(quote).to_contain_text("Did you take pictures")
    box = b.page.locator(".msg.theirs .msg-image").bounding_box()
    assert box and round(box["height"]) == 320 and round(box["width"]) == 192, box  # tall: 320 high

    # a file dragged onto the chat: the drop hint, then a confirmation, then it is sent
    a.page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(['packing list\\n- rope\\n- tea\\n'], 'packing list.txt', { type: 'text/plain' }));
            const target = document.querySelector('.messages');
            target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: data, bubbles: true, cancelable: true }));
            target.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
            window.__drop = data;
        }"""
    )
    expect(a.page.locator(".drop-hint")).to_be_visible()
    a.screenshot("media-drop-desktop")
    a.page.evaluate(
        "() => document.querySelector('.messages').dispatchEvent("
        "new DragEvent('drop', { dataTransfer: window.__drop, bubbles: true, cancelable: true }))"
    )
    expect(a.page.locator(".drop-hint")).to_be_hidden()
    confirm = a.page.get_by_role("dialog", name="Send file")
    expect(confirm).to_contain_text("packing list.txt")
    confirm.get_by_role("button", name="Send").click()
    file_row = b.page.locator(".msg.theirs .msg-file")
    expect(file_row.locator(".file-name")).to_have_text("packing list.txt")
    expect(file_row.locator(".file-size")).to_have_text("26 B")
    b.screenshot("media-paste-drop-dark")


def test_a_voice_note_recorded_by_holding_the_button_is_played_by_a_friend(
    new_app: Callable[..., App], api: Api
) -> None:
    alice, bob, conversation = friends_in_a_chat(api)
    a = new_app("alice", PHONE).signed_in_as(alice, f"chats/{conversation}")
    b = new_app("bob").signed_in_as(bob, f"chats/{conversation}")
    mic = a.page.get_by_role("button", name="Hold to record a voice note")

    # a tap is too short: nothing is sent, a hint says how
    mic.click()
    expect(a.page.get_by_text("Hold the button to record; release to send.")).to_be_visible()

    # held and then dragged away: cancelled
    box = mic.bounding_box()
    assert box
    a.page.mouse.move(box["x"] + 20, box["y"] + 20)
    a.page.mouse.down()
    expect(a.page.locator(".record-bar")).to_be_visible()
    a.page.wait_for_timeout(1300)
    a.page.mouse.move(box["x"] - 300, box["y"] - 200, steps=5)
    expect(a.page.locator(".record-bar")).to_be_hidden()
    a.page.mouse.up()
    expect(a.page.get_by_text("Voice note cancelled.")).to_be_visible()

    # held, then Escape: cancelled
    a.page.mouse.move(box["x"] + 20, box["y"] + 20)
    a.page.mouse.down()
    expect(a.page.locator(".record-bar")).to_be_visible()
    a.page.keyboard.press("Escape")
    expect(a.page.locator(".record-bar")).to_be_hidden()
    a.page.mouse.up()

    # held about two seconds: the timer runs, and on release it is sent
    box = mic.bounding_box()
    assert box
    a.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    a.page.mouse.down()
    expect(a.page.locator(".record-time")).to_have_text("0:01", timeout=5000)
    expect(mic).to_be_visible()
    expect(a.page.get_by_role("button", name="Send", exact=True)).to_be_hidden()
    a.screenshot("media-recording-phone")
    a.page.wait_for_timeout(900)
    a.page.mouse.up()
    expect(a.page.locator(".record-bar")).to_be_hidden()
    mine = a.page.locator(".msg.mine", has=a.page.locator(".msg-voice"))
    expect(mine).to_have_attribute("data-state", "sent")

    voice = b.page.locator(".msg.theirs .msg-voice")
    expect(voice.locator(".voice-time")).to_have_text(re.compile(r"^0:0[1-3]$"))
    expect(b.chat_item("Alice Chen").locator(".chat-preview")).to_have_text(re.compile(r"^\[Voice\] 0:0[1-3]$"))
    voice.get_by_role("button", name="Play voice note").click()
    expect(voice.get_by_role("button", name="Pause voice note")).to_be_visible()
    b.page.wait_for_function("el => parseFloat(el.style.width) > 0", arg=voice.locator(".voice-fill").element_handle())
    b.screenshot("media-voice-desktop")
    # it plays to the end and is ready to play again
    expect(voice.get_by_role("button", name="Play voice note")).to_be_visible(timeout=8000)

    # Bob answers the voice note; the quote names what it was
    voice_row = b.page.locator(".msg.theirs", has=b.page.locator(".msg-voice"))
    voice_row.hover()
    voice_row.get_by_role("button", name="Message actions").click()
    b.page.get_by_role("menuitem", name="Reply").click()
    expect(b.page.locator(".reply-bar")).to_contain_text(re.compile(r"\[Voice\] 0:0[1-3]"))
    b.send("Ha, I heard the gulls")
    expect(a.message("Ha, I heard the gulls").locator(".quote-text")).to_have_text("[Voice]")

    stored = [m for m in api.messages(bob, conversation) if m["kind"] == "voice"]
    assert len(stored) == 1 and 1000 <= stored[0]["media"]["duration_ms"] <= 3500, stored


def test_a_video_is_sent_and_the_friend_sees_its_poster_and_plays_it(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, conversation = friends_in_a_chat(api)
    a = new_app("alice").signed_in_as(alice, f"chats/{conversation}")
    b = new_app("bob", PHONE).signed_in_as(bob, "chats")
    film = mediafiles.video(2.0, size=(480, 270))  # H.264 and AAC, a phone's metadata, its index at the end

    pick(a, "Photo or video", [{"name": "harbour.mp4", "mimeType": "video/mp4", "buffer": film}])
    preview = a.page.get_by_role("dialog", name="Send video")
    expect(preview.locator(".video-length")).to_have_text("0:02")  # the browser read its length
    preview.get_by_role("button", name="Send").click()
    mine = a.page.locator(".msg.mine", has=a.page.locator(".msg-video"))
    expect(mine).to_have_attribute("data-state", "sent")

    # Bob, on his phone: the list says what it is, the chat shows the poster, sized like a picture
    expect(b.chat_item("Alice Chen").locator(".chat-preview")).to_have_text("[Video] 0:02")
    b.open_chat("Alice Chen")
    video = b.page.locator(".msg.theirs .msg-video")
    assert wait_loaded(b.page, video.locator(".video-poster img")) == 400  # the poster, at most 400 px
    expect(video).to_have_class(re.compile(r"\bloaded\b"))
    expect(video.locator(".video-length")).to_have_text("0:02")
    box = video.bounding_box()
    assert box and round(box["width"]) == 280 and round(box["height"]) == 158, box  # 480 x 270 fits 280 wide
    b.screenshot("media-video-poster-phone")

    # a tap: a player with controls takes the poster's place, loads the video and plays it
    video.get_by_role("button", name="Play video").click()
    player = video.locator("video.video-player")
    expect(player).to_have_attribute("controls", "")
    expect(player).to_have_attribute("preload", "none")
    handle = player.element_handle()
    b.page.wait_for_function("v => v.readyState > 0 && Math.abs(v.duration - 2) < 0.2", arg=handle)
    b.page.wait_for_function("v => v.currentTime > 0 && v.videoWidth === 480", arg=handle)
    expect(video).to_have_attribute("data-state", "playing")
    b.screenshot("media-video-playing-phone")

    stored = [m for m in api.messages(bob, conversation) if m["kind"] == "video"]
    assert len(stored) == 1 and stored[0]["media"]["mime"] == "video/mp4"
    assert (stored[0]["media"]["width"], stored[0]["media"]["height"]) == (480, 270)


def test_files_keep_their_name_as_text_and_download_as_the_same_bytes(
    new_app: Callable[..., App], api: Api, tmp_path: Path
) -> None:
    alice, bob, conversation = friends_in_a_chat(api)
    a = new_app("alice").signed_in_as(alice, f"chats/{conversation}")
    b = new_app("bob", PHONE).signed_in_as(bob, f"chats/{conversation}")
    report = b"%PDF-1.4\n" + bytes(range(256)) * 12 + b"\n%%EOF\n"
    tricky = "<img src=x onerror=alert(1)> notes.txt"

    pick(
        a,
        "File",
        [
            {"name": "harbour report.pdf", "mimeType": "application/pdf", "buffer": report},
            {"name": tricky, "mimeType": "text/plain", "buffer": b"just text"},
        ],
    )
    rows = b.page.locator(".msg.theirs .msg-file")
    expect(rows).to_have_count(2)
    expect(rows.locator(".file-name")).to_have_text(["harbour report.pdf", tricky])
    expect(rows.nth(0).locator(".file-size")).to_have_text("3.1 KB")
    expect(rows.nth(0).locator(".file-ext")).to_have_text("PDF")
    assert rows.nth(1).locator("img").count() == 0  # the name is text, never markup
    b.screenshot("media-files-phone")

    with b.page.expect_download() as download:
        rows.nth(0).get_by_role("button", name="Download harbour report.pdf").click()
    assert download.value.suggested_filename == "harbour report.pdf"
    saved = tmp_path / "saved.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == report

    # more at once than the server uploads side by side: all arrive, in the order they were picked
    days = [f"day {n}.txt" for n in range(1, 8)]
    pick(
        a,
        "File",
        [{"name": d, "mimeType": "text/plain", "buffer": d.encode() * (800 - 90 * n)} for n, d in enumerate(days)],
    )
    expect(rows.locator(".file-name")).to_have_text(["harbour report.pdf", tricky, *days])


def test_an_avatar_set_in_me_shows_for_friends_and_a_group_photo_for_members(
    new_app: Callable[..., App], api: Api
) -> None:
    alice, bob, _ = friends_in_a_chat(api)
    group = api.group(bob, "Harbour walk", [alice])
    api.say(bob, group, "Saturday at 9?")
    a = new_app("alice").signed_in_as(alice, "me/profile")
    b = new_app("bob", DESKTOP).signed_in_as(bob, "chats")
    expect(b.chat_item("Alice Chen").locator(".avatar-img")).to_have_count(0)

    with a.page.expect_file_chooser() as chooser:
        a.page.get_by_role("button", name="Set avatar").click()
    face = picture(500, 500, "PNG", hue=(180, 90, 40))
    chooser.value.set_files([{"name": "me.png", "mimeType": "image/png", "buffer": face}])
    expect(a.page.get_by_text("Avatar set.")).to_be_visible()
    wait_loaded(a.page, a.page.locator(".me-card .avatar-img"))
    expect(a.page.get_by_role("button", name="Remove avatar")).to_be_visible()
    a.screenshot("media-avatar-me-desktop")

    # Bob sees her picture live, in his chat list, the chat and his contacts
    wait_loaded(b.page, b.chat_item("Alice Chen").locator(".avatar-img"))
    b.open_chat("Alice Chen")
    wait_loaded(b.page, b.page.locator(".chat-head-avatar .avatar-img"))
    b.tab("Contacts")
    friend = b.page.locator(".contact-list[aria-label=Friends] a.contact-item", has_text="Alice Chen")
    wait_loaded(b.page, friend.locator(".avatar-img"))
    b.screenshot("media-avatar-contacts-desktop")

    # a member sets the group's photo from its info; Bob sees it and the notice
    a.tab("Chats")
    a.open_chat("Harbour walk")
    a.page.get_by_role("button", name="Chat info").click()
    info = a.page.get_by_role("dialog", name="Group info")
    with a.page.expect_file_chooser() as chooser:
        info.get_by_role("button", name="Set group photo").click()
    chooser.value.set_files([{"name": "harbour.jpg", "mimeType": "image/jpeg", "buffer": picture(800, 600)}])
    expect(a.page.get_by_text("Group photo set.")).to_be_visible()
    wait_loaded(a.page, info.locator(".avatar-picker .avatar-img"))
    a.screenshot("media-group-info-desktop")
    a.page.keyboard.press("Escape")
    b.tab("Chats")
    wait_loaded(b.page, b.chat_item("Harbour walk").locator(".avatar-img"))
    b.open_chat("Harbour walk")
    expect(b.log.get_by_text("Alice Chen changed the group photo")).to_be_visible()
    wait_loaded(b.page, b.page.locator(".chat-head-avatar .avatar-img"))
    b.screenshot("media-group-photo-desktop")

    # Alice removes her avatar: Bob's list shows her initials again
    a.tab("Me")
    a.page.get_by_role("button", name="Remove avatar").click()
    expect(a.page.get_by_text("Avatar removed.")).to_be_visible()
    expect(b.chat_item("Alice Chen").locator(".avatar-img")).to_have_count(0)
    expect(b.chat_item("Alice Chen").locator(".avatar")).to_have_text("AC")


def test_a_picture_the_server_refuses_is_explained_and_can_go_as_a_file(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, conversation = friends_in_a_chat(api)
    a = new_app("alice").signed_in_as(alice, f"chats/{conversation}")
    b = new_app("bob").signed_in_as(bob, f"chats/{conversation}")
    whole = picture(900, 600)
    cut = whole[: len(whole) * 2 // 3]  # a truncated JPEG: the browser draws what it has, the server refuses it

    # a file that only claims to be a picture is offered as a file straight away
    pick(a, "Photo", [{"name": "not really.jpg", "mimeType": "image/jpeg", "buffer": b"plain words, no picture"}])
    offer = a.page.get_by_role("dialog", name="Send file")
    expect(offer).to_contain_text("not really.jpg")
    offer.get_by_role("button", name="Cancel").click()
    expect(offer).to_have_count(0)

    with a.watch.expect_problems(r"HTTP 4\d\d: POST .*/api/v1/media\?kind=image", r"status of 4\d\d"):
        pick(a, "Photo", [{"name": "cut.jpg", "mimeType": "image/jpeg", "buffer": cut}])
        a.page.get_by_role("dialog", name="Send photo").get_by_role("button", name="Send").click()
        failed = a.page.locator(".msg.mine[data-state=failed]")
        expect(failed.get_by_role("alert")).to_contain_text("Not sent.")
        expect(failed.get_by_role("alert")).to_contain_text(re.compile("could not be read|not a picture"))
        expect(failed.get_by_role("button", name="Retry")).to_have_count(0)  # sending it again would not help
        a.screenshot("media-refused-desktop")
        failed.get_by_role("button", name="Send as a file").click()
    mine = a.page.locator(".msg.mine", has=a.page.locator(".msg-file"))
    expect(mine).to_have_attribute("data-state", "sent")
    expect(b.page.locator(".msg.theirs .msg-file .file-name")).to_have_text("cut.jpg")
    kinds = [m["kind"] for m in api.messages(bob, conversation)]
    assert kinds == ["text", "file"], kinds


def test_a_place_is_shared_from_the_attach_menu(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    chat = api.direct(alice, bob)
    a = new_app("alice", geolocation={"latitude": 53.5461, "longitude": 9.9661}, permissions=["geolocation"])
    a.signed_in_as(alice, f"chats/{chat}")
    a.page.get_by_role("button", name="Attach").click()
    a.page.get_by_role("menuitem", name="Location").click()
    b = new_app("bob", viewport=PHONE).signed_in_as(bob, f"chats/{chat}")
    place = b.page.locator(".msg-location")
    expect(place.locator(".location-coords")).to_have_text("53.54610, 9.96610")
    expect(place).to_have_attribute(
        "href", "https://www.openstreetmap.org/?mlat=53.5461&mlon=9.9661#map=16/53.5461/9.9661"
    )
    expect(place).to_have_attribute("rel", "noopener noreferrer")
    b.screenshot("media-location-phone")
