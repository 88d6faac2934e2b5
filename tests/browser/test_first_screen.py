"""The first screen: a new server opens on creating its first account, a closed one offers only
signing in, and a browser names its device after itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import Server
from kithweb import PASSWORD, Api, App, unique
from playwright.sync_api import expect


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(**env: str) -> Server:
        servers.append(Server(tmp_path / f"data{len(servers)}", env).start())
        return servers[-1]

    yield start
    for srv in servers:
        srv.stop()


def test_an_empty_server_opens_on_its_first_sign_up_and_names_the_browser(
    new_app: Callable[..., App], fresh_server: Callable[..., Server]
) -> None:
    srv = fresh_server()
    app = new_app("first", server=srv).open()
    page = app.page
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(page.get_by_text("This server is new")).to_be_visible()
    page.get_by_label("Handle").fill("founder")
    page.get_by_label("Your name").fill("Founder")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Chats", exact=True)).to_be_visible()

    # the device is named after the browser, not "Unknown device"
    token = page.evaluate("JSON.parse(localStorage.getItem('kith.session')).token")
    devices = Api(srv.url)._call("GET", "/me/devices", token)["devices"]
    assert [d["name"] for d in devices] == ["Chrome on Linux"]
    app.tab("Me")
    page.get_by_role("link", name="Devices").click()
    expect(page.get_by_role("list", name="Devices").get_by_text("Chrome on Linux")).to_be_visible()

    # once it has an account, a new browser opens on signing in
    other = new_app("second", server=srv).open()
    expect(other.page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    expect(other.page.get_by_text("This server is new")).to_have_count(0)
    expect(other.page.get_by_role("button", name="Create an account")).to_be_visible()


def test_a_server_with_sign_up_closed_offers_only_signing_in(
    new_app: Callable[..., App], fresh_server: Callable[..., Server]
) -> None:
    srv = fresh_server(KITH_REGISTRATION_OPEN="false")
    app = new_app("first", server=srv).open()
    page = app.page
    expect(page.get_by_text("Sign-up is closed on this server")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Create an account")).to_have_count(0)
    page.get_by_label("Handle").fill(unique("nobody"))
    page.get_by_label("Password").fill(PASSWORD)
    with app.watch.expect_problems(r"401"):
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).not_to_be_empty()
