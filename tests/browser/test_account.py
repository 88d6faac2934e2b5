"""Accounts in the browser: human error messages, profile, devices, signing out."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable

from kithweb import PASSWORD, Api, App, unique
from playwright.sync_api import expect


def test_errors_are_said_in_words_people_use(new_app: Callable[..., App], api: Api) -> None:
    taken = api.register("taken", "Someone Else")
    app = new_app("newcomer").open()
    page = app.page

    with app.watch.expect_problems(r"HTTP 401: POST .*/api/v1/sessions$", r"status of 401"):
        app.sign_in(taken.handle, "not the password")
        expect(page.get_by_role("alert")).to_have_text("Wrong handle or password.")

    page.get_by_role("button", name="Create an account").click()
    page.get_by_label("Handle").fill("x")
    page.get_by_label("Your name").fill("Newcomer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("A handle is 3 to 32 characters: a\u2013z, 0\u20139, _ and .")).to_be_visible()
    with app.watch.expect_problems(r"HTTP 409: POST .*/api/v1/accounts$", r"status of 409"):
        page.get_by_label("Handle").fill(taken.handle)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_text("That handle is taken. Try another one.")).to_be_visible()
    page.get_by_label("Handle").fill(unique("newcomer"))
    page.get_by_role("button", name="Create account").click()
    app.wait_online()

    page.get_by_role("button", name="Add friend").click()
    dialog = page.get_by_role("dialog", name="Add a friend")
    with app.watch.expect_problems(r"HTTP 404: GET .*/api/v1/users/lookup", r"status of 404"):
        dialog.get_by_label("Their handle").fill("nobody_by_this_name")
        dialog.get_by_role("button", name="Find").click()
        expect(dialog.get_by_text("Nobody has that handle.")).to_be_visible()
    dialog.get_by_label("Their handle").fill(app.account().handle)
    dialog.get_by_role("button", name="Find").click()
    expect(dialog.get_by_text("That's you!")).to_be_visible()


def test_a_friend_who_leaves_cannot_be_messaged(new_app: Callable[..., App], api: Api) -> None:
    alice, bob = api.register("alice", "Alice Chen"), api.register("bob", "Bob Martin")
    api.befriend(alice, bob)
    conversation = api.direct(alice, bob)
    api.say(bob, conversation, "Bye for now")
    a = new_app("alice").signed_in_as(alice, f"chats/{conversation}")
    expect(a.composer).to_be_visible()
    api.call(bob, "DELETE", f"/friends/{alice.id}")
    expect(a.page.get_by_text("You are not friends yet. Add Bob Martin as a friend to chat.")).to_be_visible()
    expect(a.composer).to_be_hidden()


def test_profile_devices_and_signing_out(new_app: Callable[..., App], api: Api) -> None:
    me = api.register("dana", "Dana Lee")
    laptop = new_app("laptop").signed_in_as(me, "me")
    phone = new_app("phone").open()
    phone.sign_in(me.handle)
    phone.wait_online()

    # profile
    page = laptop.page
    page.get_by_role("link", name="Profile").click()
    page.get_by_label("Display name").fill("Dana K. Lee")
    page.get_by_label("Status line").fill("Out hiking until Monday")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".me-card")).to_contain_text("Dana K. Lee")
    expect(page.locator(".me-card")).to_contain_text("Out hiking until Monday")
    phone.tab("Me")
    expect(phone.page.locator(".me-card")).to_contain_text("Out hiking until Monday")  # live, on the other device

    # devices: the other one can be signed out from here
    page.get_by_role("link", name="Devices").click()
    devices = page.get_by_role("list", name="Devices").get_by_role("listitem")
    expect(devices).to_have_count(2)
    expect(devices.first).to_contain_text("This device")
    page.get_by_role("button", name=re.compile("^Sign out Chrome")).click()
    page.get_by_role("dialog").get_by_role("button", name="Sign out").click()
    expect(devices).to_have_count(1)
    expect(phone.page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    expect(phone.page.get_by_role("alert")).to_have_text("This device was signed out. Please sign in again.")

    # the phone signs in again, then signs out itself; a reload does not bring the session back
    phone.sign_in(me.handle)
    phone.wait_online()
    phone.tab("Me")
    phone.page.get_by_role("button", name="Sign out", exact=True).click()
    phone.page.get_by_role("dialog").get_by_role("button", name="Sign out").click()
    expect(phone.page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    phone.reload()
    expect(phone.page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert phone.page.evaluate("localStorage.getItem('kith.session')") is None
    laptop.reload()
    expect(devices).to_have_count(1)


def test_downloading_ones_data_and_deleting_the_account(new_app: Callable[..., App], api: Api) -> None:
    me, friend = api.register("gwen", "Gwen Ito"), api.register("hal", "Hal Moss")
    api.befriend(me, friend)
    conversation = api.direct(me, friend)
    api.say(me, conversation, "Keep this one, Hal")
    app = new_app("gwen", accept_downloads=True).signed_in_as(me, "me")
    hal = new_app("hal").signed_in_as(friend, f"chats/{conversation}")
    page = app.page

    page.get_by_role("link", name="Your data").click()
    with page.expect_download() as caught:
        page.get_by_role("button", name="Download my data").click()
    download = caught.value
    assert download.suggested_filename == f"kith-{me.handle}-data.zip"
    with zipfile.ZipFile(download.path()) as zf:
        assert json.loads(zf.read("profile.json"))["user"]["handle"] == me.handle
        texts = [m["text"] for m in json.loads(zf.read(f"messages/{conversation}.json"))["messages"]]
        assert texts == ["Keep this one, Hal"]

    form = page.get_by_role("form", name="Delete your account")
    with app.watch.expect_problems(r"HTTP 403: DELETE .*/api/v1/me$", r"status of 403"):
        form.get_by_label("Your password").fill("not my password")
        form.get_by_role("button", name="Delete my account").click()
        page.get_by_role("dialog").get_by_role("button", name="Delete account").click()
        expect(form.get_by_text("The password is wrong.")).to_be_visible()
    form.get_by_label("Your password").fill(PASSWORD)
    form.get_by_role("button", name="Delete my account").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete account").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    # the friend keeps the message, from a deleted user, and can no longer write
    expect(hal.log).to_contain_text("Keep this one, Hal")
    expect(hal.page.get_by_text("This account was deleted.")).to_be_visible()
    expect(hal.composer).to_be_hidden()
