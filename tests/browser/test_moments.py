"""Moments in the browser against a real server: posting with a picture, likes, comments and replies
between friends (and what a friend of only one of them must not see), notifications, albums, the
time window, a retried post stored once, and how it all looks at desktop and phone widths."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from kithweb import DESKTOP, PHONE, Account, Api, App
from PIL import Image, ImageDraw
from playwright.sync_api import FilePayload, Locator, Page, Route, expect


def photo(width: int = 1200, height: int = 800, sky: tuple[int, int, int] = (60, 130, 180)) -> bytes:
    """A real JPEG (a sky, a sun, a hill), so a screenshot shows whether it is drawn right."""
    image = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(image)
    draw.ellipse([width * 0.65, height * 0.15, width * 0.8, height * 0.15 + width * 0.15], fill=(250, 214, 90))
    draw.polygon([(0, height), (width * 0.45, height * 0.45), (width, height)], fill=(40, 90, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def three_people(api: Api) -> tuple[Account, Account, Account]:
    """Alice is friends with Bob and with Carol; Bob and Carol are not friends."""
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    carol = api.register("carol", "Carol Díaz")
    api.befriend(alice, bob)
    api.befriend(alice, carol)
    return alice, bob, carol


def post_card(page: Page, text: str) -> Locator:
    return page.locator("article.moment", has=page.locator(".moment-text", has_text=text))


def open_moments(app: App) -> None:
    app.tab("Moments")
    expect(app.page.locator(".feed-title")).to_have_text("Moments")


def compose(app: App, text: str, pictures: Sequence[bytes] = (), place: str = "") -> Locator:
    """New post → text, pictures (through the file chooser), a place; returns the dialog."""
    page = app.page
    page.get_by_role("button", name="New post").first.click()
    dialog = page.get_by_role("dialog", name="New post")
    dialog.get_by_role("textbox", name="Text").fill(text)
    if pictures:
        with page.expect_file_chooser() as chooser:
            dialog.get_by_role("button", name="Add photos").click()
        files: list[FilePayload] = [
            {"name": f"photo{n}.jpg", "mimeType": "image/jpeg", "buffer": data} for n, data in enumerate(pictures)
        ]
        chooser.value.set_files(files)
        expect(dialog.locator(".compose-tile.done")).to_have_count(len(pictures))
    if place:
        dialog.get_by_role("textbox", name="Place").fill(place)
    return dialog


def loaded(page: Page, image: Locator) -> None:
    expect(image).to_be_attached()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def test_friends_like_and_comment_and_a_friend_of_one_sees_neither(
    new_app: Callable[..., App], api: Api, tmp_path: Path
) -> None:
    alice, bob, carol = three_people(api)
    api.call(alice, "PATCH", f"/friends/{bob.id}", json={"remark": "Bobby"})  # Alice's name for Bob
    a = new_app("alice").signed_in_as(alice)
    b = new_app("bob", PHONE, is_mobile=True, has_touch=True).signed_in_as(bob)
    c = new_app("carol").signed_in_as(carol)

    # Alice posts a picture with a few words and a place
    open_moments(a)
    dialog = compose(a, "Sunrise over the bay. Worth the early start!", [photo()], place="North Pier")
    a.page.screenshot(path=str(tmp_path / "desktop-compose.png"))
    dialog.get_by_role("button", name="Post").click()
    expect(dialog).to_be_hidden()
    mine = post_card(a.page, "Sunrise over the bay")
    expect(mine.locator(".moment-author")).to_have_text("Alice Chen")
    expect(mine.locator(".moment-place")).to_have_text("North Pier")
    expect(mine.locator(".moment-text")).to_have_attribute("dir", "auto")
    expect(mine.locator(".moment-time")).to_have_text("Just now")
    expect(mine.get_by_role("img", name="Shared with: All friends")).to_be_visible()  # only the author sees it
    loaded(a.page, mine.locator(".moment-image img"))
    [stored] = api.call(alice, "GET", "/moments/timeline")["posts"]
    assert stored["text"] == "Sunrise over the bay. Worth the early start!" and len(stored["images"]) == 1

    # Bob sees it on his phone, opens the picture, likes it and comments
    open_moments(b)
    theirs = post_card(b.page, "Sunrise over the bay")
    expect(theirs.locator(".moment-author")).to_have_text("Alice Chen")
    expect(theirs.locator(".moment-audience")).to_have_count(0)
    expect(theirs.get_by_role("button", name="Delete", exact=True)).to_have_count(0)
    loaded(b.page, theirs.locator(".moment-image img"))
    theirs.get_by_role("button", name="Photo. Open it full size").click()
    lightbox = b.page.locator("dialog.lightbox")
    loaded(b.page, lightbox.locator("img"))
    assert lightbox.locator("img").evaluate("img => img.naturalWidth") == 1200  # the full picture, not the thumbnail
    b.page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()
    theirs.get_by_role("button", name="Like", exact=True).click()
    expect(theirs.get_by_role("button", name="Like", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(theirs.locator(".moment-likes")).to_have_text("Bob Martin")
    theirs.get_by_role("button", name="Comment", exact=True).click()
    box = theirs.get_by_role("textbox", name="Comment", exact=True)
    expect(box).to_be_focused()
    box.fill("Stunning. Which trail did you take?")
    box.press("Enter")
    expect(theirs.locator(".moment-comment-row")).to_have_text("Bob Martin: Stunning. Which trail did you take?")
    expect(box).to_be_hidden()

    # Alice is told at once: a badge on the tab, and the like and the comment on her post, by her name for Bob
    expect(a.tab_badge("moments")).to_have_text("2")
    expect(mine.locator(".moment-likes")).to_have_text("Bobby")
    expect(mine.locator(".moment-comment-row")).to_have_text("Bobby: Stunning. Which trail did you take?")
    pill = a.page.get_by_role("link", name="2 new notifications", exact=True)
    expect(pill).to_be_visible()
    a.page.screenshot(path=str(tmp_path / "desktop-feed.png"))
    pill.click()
    notes = a.page.get_by_role("list", name="Notifications").locator(".note-item")
    expect(notes).to_have_count(2)
    expect(notes.nth(0)).to_contain_text("Bobby")
    expect(notes.nth(0)).to_contain_text("Stunning. Which trail did you take?")
    expect(notes.nth(1)).to_contain_text("Liked your post")
    expect(notes.nth(0)).to_have_class(re.compile(r"\bnew\b"))
    expect(a.tab_badge("moments")).to_have_count(0)  # seen
    loaded(a.page, notes.nth(0).locator(".note-thumb img"))
    a.page.screenshot(path=str(tmp_path / "desktop-notifications.png"))
    notes.nth(0).click()
    expect(a.page).to_have_url(re.compile(r"#/moments/posts/\d+$"))
    expect(a.page.locator(".pane-header h2")).to_have_text("Post")
    single = post_card(a.page, "Sunrise over the bay")
    expect(single.locator(".moment-comment-row")).to_have_count(1)

    # Alice replies to Bob's comment (a tap on it: her post, so Reply or Delete)
    single.locator(".moment-comment-row").click()
    a.page.get_by_role("menuitem", name="Reply to Bobby").click()
    reply = single.get_by_role("textbox", name="Reply to Bobby")
    expect(reply).to_be_focused()
    reply.fill("The cliff path, from the lighthouse")
    reply.press("Enter")
    expect(single.locator(".moment-comment-row").nth(1)).to_have_text(
        "Alice Chen replied to Bobby: The cliff path, from the lighthouse"
    )

    # ... and Bob is told, and sees the reply under the post
    expect(b.tab_badge("moments")).to_have_text("1")
    expect(theirs.locator(".moment-comment-row").nth(1)).to_have_text(
        "Alice Chen replied to Bob Martin: The cliff path, from the lighthouse"
    )
    b.page.locator(".moments-scroll").evaluate("el => el.scrollTo({top: 0})")
    b.page.screenshot(path=str(tmp_path / "phone-feed.png"))
    b.page.get_by_role("link", name="Notifications, 1 new").click()
    expect(b.page.locator(".note-item")).to_have_count(1)
    expect(b.page.locator(".note-item")).to_contain_text("Replied to you: The cliff path, from the lighthouse")
    b.page.screenshot(path=str(tmp_path / "phone-notifications.png"))
    b.page.get_by_role("link", name="Back to Moments").click()
    expect(b.page.get_by_role("navigation", name="Main")).to_be_visible()

    # Carol, Alice's friend but not Bob's, sees the post and Alice's reply as a plain comment: nothing of Bob's
    open_moments(c)
    hers = post_card(c.page, "Sunrise over the bay")
    loaded(c.page, hers.locator(".moment-image img"))
    expect(hers.locator(".moment-comment-row")).to_have_count(1)
    expect(hers.locator(".moment-comment-row")).to_have_text("Alice Chen: The cliff path, from the lighthouse")
    expect(hers.locator(".moment-likes")).to_have_count(0)
    expect(c.page.get_by_text("Bob Martin")).to_have_count(0)
    expect(c.page.get_by_text("Stunning")).to_have_count(0)
    c.reload()  # and not after a fresh read either
    expect(post_card(c.page, "Sunrise over the bay").locator(".moment-comment-row")).to_have_count(1)
    expect(c.page.get_by_text("Stunning")).to_have_count(0)

    # Bob takes his like back; Alice deletes Bob's comment on her post, then the post
    theirs.get_by_role("button", name="Like", exact=True).click()
    expect(theirs.get_by_role("button", name="Like", exact=True)).to_have_attribute("aria-pressed", "false")
    expect(theirs.locator(".moment-likes")).to_have_count(0)
    single.locator(".moment-comment-row").first.click()
    a.page.get_by_role("menuitem", name="Delete comment").click()
    expect(single.locator(".moment-comment-row")).to_have_count(1)
    single.get_by_role("button", name="Delete", exact=True).click()
    confirm = a.page.get_by_role("dialog", name="Delete this post?")
    confirm.get_by_role("button", name="Cancel").click()
    expect(single).to_be_visible()
    single.get_by_role("button", name="Delete", exact=True).click()
    confirm.get_by_role("button", name="Delete").click()
    expect(a.page).to_have_url(re.compile(r"#/moments$"))
    expect(a.page.locator("article.moment")).to_have_count(0)
    assert api.call(carol, "GET", "/moments/timeline")["posts"] == []


def test_a_post_sent_again_after_a_lost_answer_is_stored_once(new_app: Callable[..., App], api: Api) -> None:
    alice, bob, _ = three_people(api)
    a = new_app("alice").signed_in_as(alice, "moments")
    dialog = compose(a, "Only once, please")

    # the server stores the post, but its answer never arrives
    lost = {"done": False}

    def drop_the_answer(route: Route) -> None:
        if lost["done"]:
            route.continue_()
            return
        lost["done"] = True
        route.fetch()  # the server gets it and stores it
        route.abort()

    a.page.route("**/api/v1/moments/posts", drop_the_answer)
    with a.watch.expect_problems(r"request failed: POST .*/moments/posts", r"Failed to load resource: net::ERR_FAILED"):
        dialog.get_by_role("button", name="Post").click()
        expect(dialog.get_by_role("alert")).to_contain_text("Can't reach the server")
    dialog.get_by_role("button", name="Post").click()  # the same client id again
    expect(dialog).to_be_hidden()
    expect(post_card(a.page, "Only once, please")).to_have_count(1)
    assert [p["text"] for p in api.call(bob, "GET", "/moments/timeline")["posts"]] == ["Only once, please"]


def test_notifications_outlast_a_reload_and_those_that_came_while_away_are_new(
    new_app: Callable[..., App], api: Api
) -> None:
    alice, bob, _ = three_people(api)
    post = api.call(alice, "POST", "/moments/posts", json={"id": "away-1", "text": "Back soon"})
    a = new_app("alice").signed_in_as(alice, "moments")
    expect(post_card(a.page, "Back soon")).to_be_visible()
    api.call(bob, "PUT", f"/moments/posts/{post['id']}/like")
    expect(a.tab_badge("moments")).to_have_text("1")
    a.reload()
    a.wait_online()
    expect(a.tab_badge("moments")).to_have_text("1")

    # the tab is closed; Bob comments meanwhile; back, the comment is new too
    with a.watch.expect_problems(r"net::ERR_ABORTED", r"favicon\.ico", r"status of 404"):
        a.page.goto(f"{a.base_url}/icon.svg")  # a page of the same site: the browser asks for its favicon
        a.page.wait_for_load_state("networkidle")
    api.call(bob, "POST", f"/moments/posts/{post['id']}/comments", json={"text": "Welcome back"})
    a.open("moments")
    a.wait_online()
    expect(a.tab_badge("moments")).to_have_text("2")
    expect(post_card(a.page, "Back soon").locator(".moment-comment-row")).to_have_text("Bob Martin: Welcome back")

    # a browser that never saw them lists them from the log, as old news
    other = new_app("alice-elsewhere").signed_in_as(alice, "moments/notifications")
    expect(other.page.locator(".note-item")).to_have_count(2)
    expect(other.page.locator(".note-item.new")).to_have_count(0)
    expect(other.tab_badge("moments")).to_have_count(0)


def test_audience_albums_and_the_time_window(new_app: Callable[..., App], api: Api, tmp_path: Path) -> None:
    alice, bob, carol = three_people(api)
    api.call(bob, "POST", "/moments/posts", json={"id": "b-1", "text": "Bob's first post"})
    phone = new_app("alice", PHONE, is_mobile=True, has_touch=True).signed_in_as(alice)
    page = phone.page
    open_moments(phone)
    expect(post_card(page, "Bob's first post")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()  # the feed is the tab's first screen

    # only Carol may see this one: its icon says so, to Alice alone
    dialog = compose(phone, "Just for Carol", [photo(800, 1000, (150, 110, 170)), photo(), photo(900, 900)])
    dialog.locator(".compose-audience").click()
    dialog.get_by_role("radio", name=re.compile("^Only…")).check()
    post_button = dialog.get_by_role("button", name="Post")
    expect(post_button).to_be_disabled()  # nobody picked yet
    dialog.get_by_role("list", name="Friends").get_by_text("Carol Díaz").click()
    expect(dialog.locator(".compose-audience-value")).to_have_text("Only Carol Díaz")
    page.screenshot(path=str(tmp_path / "phone-compose.png"))
    post_button.click()
    expect(dialog).to_be_hidden()
    mine = post_card(page, "Just for Carol")
    expect(mine.get_by_role("img", name="Shared with: Only Carol Díaz")).to_be_visible()
    expect(mine.locator(".moment-image")).to_have_count(3)
    assert [p["text"] for p in api.call(bob, "GET", "/moments/timeline")["posts"]] == ["Bob's first post"]
    assert "Just for Carol" in [p["text"] for p in api.call(carol, "GET", "/moments/timeline")["posts"]]
    for n in range(3):
        loaded(page, mine.locator(".moment-image img").nth(n))
    page.screenshot(path=str(tmp_path / "phone-own-post.png"))

    # the full pictures, one after the other
    mine.get_by_role("button", name="Photo 1 of 3. Open it full size").click()
    lightbox = page.locator("dialog.lightbox")
    expect(lightbox.locator(".lightbox-name")).to_have_text("Photo 1 of 3")
    loaded(page, lightbox.locator("img"))
    assert lightbox.locator("img").evaluate("img => img.naturalWidth") == 800
    lightbox.get_by_role("button", name="Next photo").click()
    expect(lightbox.locator(".lightbox-name")).to_have_text("Photo 2 of 3")
    page.wait_for_function("() => document.querySelector('dialog.lightbox img')?.naturalWidth === 1200")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(lightbox.locator(".lightbox-name")).to_have_text("Photo 3 of 3")
    page.keyboard.press("Escape")
    expect(lightbox).to_have_count(0)

    # tapping an author's name opens their album; so does Moments on a friend's profile
    post_card(page, "Bob's first post").locator(".moment-author").click()
    expect(page).to_have_url(re.compile(rf"#/moments/users/{bob.id}/posts$"))
    expect(page.locator(".album-name")).to_have_text("Bob Martin")
    expect(page.locator("article.moment")).to_have_count(1)
    page.get_by_role("link", name="Back to Moments").click()
    phone.tab("Contacts")
    page.locator("a.contact-item", has_text="Carol Díaz").click()
    page.get_by_role("link", name="Moments").last.click()
    expect(page).to_have_url(re.compile(rf"#/moments/users/{carol.id}/posts$"))
    expect(page.get_by_text("Carol Díaz has not shared anything with you, or nothing recent.")).to_be_visible()

    # My posts, then Me → Moments: friends see only the last 3 days
    page.goto(f"{phone.base_url}/#/moments")
    page.get_by_role("link", name="My posts").click()
    expect(page.locator(".pane-header h2")).to_have_text("My posts")
    expect(page.locator("article.moment")).to_have_count(1)
    page.get_by_role("link", name="Back to Moments").click()
    phone.tab("Me")
    page.get_by_role("link", name="Moments").last.click()
    everything = page.get_by_role("radio", name=re.compile("^Everything"))
    expect(everything).to_be_checked()
    page.get_by_role("radio", name=re.compile("^The last 3 days")).check()
    expect(page.get_by_text("Saved.")).to_be_visible()
    assert api.call(alice, "GET", "/moments/settings") == {"window_days": 3}
    phone.reload()
    expect(page.get_by_role("radio", name=re.compile("^The last 3 days"))).to_be_checked()
    page.screenshot(path=str(tmp_path / "phone-settings.png"))


def test_a_long_feed_loads_as_you_scroll(new_app: Callable[..., App], api: Api, tmp_path: Path) -> None:
    alice, bob, carol = three_people(api)
    for n in range(1, 46):  # two authors: a person may post 30 times an hour
        author = bob if n % 2 else carol
        api.call(author, "POST", "/moments/posts", json={"id": f"many-{n}", "text": f"Post number {n}"})
    app = new_app("alice", DESKTOP).signed_in_as(alice, "moments")
    page = app.page
    expect(post_card(page, "Post number 45")).to_be_visible()  # newest first
    posts = page.locator("article.moment")
    expect(posts).to_have_count(20)
    page.screenshot(path=str(tmp_path / "desktop-long-feed.png"))
    for count in (40, 45):
        page.locator(".moments-scroll").evaluate("el => el.scrollTo({top: el.scrollHeight})")
        expect(posts).to_have_count(count)
    expect(page.get_by_text("That is everything.")).to_be_visible()
    texts = page.locator("article.moment .moment-text").all_inner_texts()
    assert texts == [f"Post number {n}" for n in range(45, 0, -1)]


# -- in Chinese ------------------------------------------------------------------------------------


def test_moments_in_chinese(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = api.register("lin", "小林"), api.register("wang", "小王")
    carol = api.register("zhang", "小张")
    api.befriend(alice, bob)
    api.befriend(alice, carol)
    handles = rf"@({alice.handle}|{bob.handle}|{carol.handle})"
    esc = r"\bEsc\b"  # the key's name, as on the keyboard, in the Cancel button's title
    a = new_app("lin", locale="zh-CN").signed_in_as(alice, "moments")
    page = a.page

    # nothing posted yet: the tab's places and the empty timeline
    expect(page.locator(".feed-title")).to_have_text("朋友圈")
    expect(page.get_by_role("heading", name="还没有动态")).to_be_visible()
    assert a.untranslated(within=".list-pane") == []
    assert a.untranslated(within=".main-pane") == []

    # a friend's post, liked and commented on; a tap on one's own comment offers to delete it
    bobs = api.call(bob, "POST", "/moments/posts", json={"id": "zh-b1", "text": "海边的日出，值得早起！"})
    a.reload()
    card = post_card(page, "海边的日出")
    expect(card.locator(".moment-time")).to_have_text("刚刚")
    card.get_by_role("button", name="赞", exact=True).click()
    expect(card.locator(".moment-likes")).to_have_text("小林")
    card.get_by_role("button", name="评论", exact=True).click()
    box = card.get_by_role("textbox", name="评论", exact=True)
    expect(box).to_have_attribute("placeholder", "评论")
    assert a.untranslated(esc, within=".main-pane") == []
    box.fill("真美！")
    box.press("Enter")
    expect(card.locator(".moment-comment-row")).to_have_text("小林：真美！")
    card.locator(".moment-comment-row").click()
    expect(page.get_by_role("menuitem", name="删除评论")).to_be_visible()
    assert a.untranslated(within=".menu") == []
    page.keyboard.press("Escape")
    [mine] = api.call(bob, "GET", f"/moments/posts/{bobs['id']}")["comments"]
    api.call(bob, "POST", f"/moments/posts/{bobs['id']}/comments", json={"text": "谢谢", "reply_to": mine["id"]})
    a.reload()
    expect(card.locator(".moment-comment-row").nth(1)).to_have_text("小王 回复 小林：谢谢")
    assert a.untranslated(within=".main-pane") == []

    # a post of one's own: the compose dialog, its picture, place and audience
    page.get_by_role("button", name="发表动态").first.click()
    dialog = page.get_by_role("dialog", name="发表动态")
    form = "dialog.compose-dialog form.compose"
    expect(dialog.get_by_role("textbox", name="文字")).to_have_attribute("placeholder", "这一刻的想法…")
    assert a.untranslated(within=form) == []
    dialog.get_by_role("textbox", name="文字").fill("周末去爬山")
    with page.expect_file_chooser() as chooser:
        dialog.get_by_role("button", name="添加图片").click()
    chooser.value.set_files([{"name": "hill.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
    expect(dialog.locator(".compose-tile.done")).to_have_count(1)
    dialog.get_by_role("textbox", name="位置").fill("香山")
    dialog.locator(".compose-audience").click()
    expect(dialog.get_by_role("radiogroup", name="谁可以看")).to_be_visible()
    assert a.untranslated(within=form) == []
    dialog.get_by_role("radio", name=re.compile("^部分可见")).check()
    expect(dialog.locator(".compose-audience-value")).to_have_text("选择朋友")
    expect(dialog.get_by_role("button", name="发表")).to_be_disabled()
    assert a.untranslated(within=".compose-audience") == []
    dialog.get_by_role("radio", name=re.compile("^所有朋友")).check()
    expect(dialog.locator(".compose-audience-value")).to_have_text("所有朋友")
    assert a.untranslated(within=form) == []
    a.screenshot("moments-zh-compose-desktop")
    dialog.get_by_role("button", name="发表").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("已发表。")).to_be_visible()
    own = post_card(page, "周末去爬山")
    expect(own.get_by_role("img", name="谁可以看：所有朋友")).to_be_visible()
    loaded(page, own.locator(".moment-image img"))
    assert a.untranslated(within=".main-pane") == []

    # friends like it, comment, reply: the pill, the list pane and the notifications
    [alices] = [p for p in api.call(alice, "GET", "/moments/timeline")["posts"] if p["text"] == "周末去爬山"]
    api.call(bob, "PUT", f"/moments/posts/{alices['id']}/like")
    api.call(carol, "POST", f"/moments/posts/{alices['id']}/comments", json={"text": "我也想去"})
    pill = page.get_by_role("link", name="3 条新通知", exact=True)
    expect(pill).to_be_visible()
    expect(page.locator(".list-pane .moments-menu")).to_contain_text("3 条新通知")
    assert a.untranslated(within=".list-pane") == []
    assert a.untranslated(within=".main-pane") == []
    a.screenshot("moments-zh-feed-desktop")
    pill.click()
    notes = page.get_by_role("list", name="通知").locator(".note-item")
    expect(notes).to_have_count(3)
    expect(notes.nth(0)).to_contain_text("我也想去")
    expect(notes.nth(1)).to_contain_text("赞了你的动态")
    expect(notes.nth(2)).to_contain_text("回复了你：谢谢")
    assert a.untranslated(within=".main-pane") == []
    a.screenshot("moments-zh-notifications-desktop")
    page.get_by_role("button", name="清空").click()
    expect(page.get_by_text("通知已清空。")).to_be_visible()
    expect(page.get_by_role("heading", name="暂无通知")).to_be_visible()
    assert a.untranslated(within=".main-pane") == []

    # the post's own page, and its deletion after a question
    page.locator(".list-pane").get_by_role("link", name=re.compile("^朋友动态")).click()
    own.locator(".moment-time").click()
    expect(page.locator(".pane-header h2")).to_have_text("动态")
    expect(own.locator(".moment-comment-row")).to_have_text("小张：我也想去")
    assert a.untranslated(within=".main-pane") == []
    own.get_by_role("button", name="删除", exact=True).click()
    confirm = page.get_by_role("dialog", name="删除这条动态？")
    expect(confirm.locator(".dialog-body p")).to_have_text("图片、赞和评论会一并删除，且无法恢复。")
    assert a.untranslated(within="dialog.confirm .dialog-body p") == []
    confirm.get_by_role("button", name="删除", exact=True).click()
    expect(page.get_by_text("动态已删除。")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#/moments$"))

    # albums: a friend's, an empty one, one's own; then pages that are not there
    page.goto(f"{a.base_url}/#/moments/users/{bob.id}/posts")
    expect(page.locator(".album-name")).to_have_text("小王")
    expect(page.get_by_text("你能看到的就这些了。")).to_be_visible()
    assert a.untranslated(handles, within=".main-pane") == []
    page.goto(f"{a.base_url}/#/moments/users/{carol.id}/posts")
    expect(page.get_by_text("小张 没有与你分享任何内容，或最近没有分享。")).to_be_visible()
    assert a.untranslated(handles, within=".main-pane") == []
    page.goto(f"{a.base_url}/#/moments/users/{alice.id}/posts")
    expect(page.get_by_role("heading", name="你还没有发表过动态")).to_be_visible()
    assert a.untranslated(handles, within=".main-pane") == []
    with a.watch.expect_problems(r"404"):
        page.goto(f"{a.base_url}/#/moments/posts/999999999")
        expect(page.get_by_role("heading", name="这条动态已不存在")).to_be_visible()
    assert a.untranslated(within=".main-pane") == []
    page.goto(f"{a.base_url}/#/moments/nowhere")
    expect(page.get_by_role("heading", name="这里什么都没有")).to_be_visible()
    assert a.untranslated(within=".main-pane") == []

    # Me → Moments: how far back friends see
    page.goto(f"{a.base_url}/#/me/moments")
    expect(page.get_by_role("radio", name=re.compile("^全部"))).to_be_checked()
    assert a.untranslated(within=".main-pane") == []
    page.get_by_role("radio", name=re.compile("^最近三天")).check()
    expect(page.get_by_text("已保存。")).to_be_visible()
    assert api.call(alice, "GET", "/moments/settings") == {"window_days": 3}

    # and on a phone: the feed is the first screen
    phone = new_app("lin-phone", PHONE, is_mobile=True, has_touch=True, locale="zh-CN").signed_in_as(alice, "moments")
    expect(post_card(phone.page, "海边的日出").locator(".moment-comment-row")).to_have_count(2)
    expect(phone.page.get_by_role("button", name="分享这一刻…")).to_be_visible()
    assert phone.untranslated(within=".moments-page") == []
    phone.screenshot("moments-zh-feed-phone")
    phone.page.get_by_role("button", name="发表动态").first.click()
    expect(phone.page.get_by_role("dialog", name="发表动态")).to_be_visible()
    assert phone.untranslated(within="dialog.compose-dialog form.compose") == []
    phone.screenshot("moments-zh-compose-phone")
