"""The browser's sign-in key: a stranger's failed guesses do not lock out a browser that signed in
before; and a weak password is refused in words."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from kithweb import PASSWORD, Api, App, unique
from playwright.sync_api import expect


def test_a_browser_that_signed_in_before_gets_in_while_strangers_are_locked_out(
    new_app: Callable[..., App], api: Api
) -> None:
    handle = unique("keeper")
    app = new_app("keeper").open()
    app.sign_up(handle, "Keeper")
    key = app.page.evaluate("localStorage.getItem('kith.device-key')")
    assert key and len(key) >= 22

    app.page.get_by_role("navigation", name="Main").get_by_role("link", name="Me", exact=True).click()
    app.page.get_by_role("button", name="Sign out", exact=True).click()
    app.page.get_by_role("dialog").get_by_role("button", name="Sign out").click()
    expect(app.page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert app.page.evaluate("localStorage.getItem('kith.device-key')") == key  # kept across sign-outs

    with httpx.Client(base_url=api.base + "/api/v1") as stranger:
        for _ in range(12):
            stranger.post("/sessions", json={"handle": handle, "password": "a stranger's guess"})
        assert stranger.post("/sessions", json={"handle": handle, "password": PASSWORD}).status_code == 429

    other = new_app("other browser").open()  # never signed in: it waits like the stranger
    with other.watch.expect_problems(r"HTTP 429: POST .*/api/v1/sessions$", r"status of 429"):
        other.sign_in(handle)
        expect(other.page.get_by_role("alert")).to_contain_text("Too many tries. Try again in")

    app.sign_in(handle)  # this browser signed in before: it gets in
    app.wait_online()


def test_a_weak_password_is_refused_with_advice(new_app: Callable[..., App]) -> None:
    app = new_app("weak").open()
    page = app.page
    page.get_by_role("button", name="Create an account").click()
    page.get_by_label("Handle").fill(unique("weak"))
    page.get_by_label("Your name").fill("Weak")
    page.get_by_label("Password").fill("password1")
    with app.watch.expect_problems(r"HTTP 400: POST .*/api/v1/accounts$", r"status of 400"):
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_text("That password is too easy to guess.")).to_be_visible()
