"""The API's page (/docs): every operation of /openapi.json, with what each field means and a real example."""

from __future__ import annotations

from collections.abc import Callable

from kithweb import App
from playwright.sync_api import expect

from kith.http.routes import ENDPOINTS


def test_the_docs_page_shows_every_operation_with_descriptions_and_examples(new_app: Callable[..., App]) -> None:
    app = new_app("docs")
    app.page.goto(app.base_url + "/docs")
    expect(app.page.locator("details")).to_have_count(len(ENDPOINTS) + 1)  # and the WebSocket
    send = app.page.locator("details", has_text="Send a text message")
    send.locator("summary").click()
    body = send.locator("pre").nth(1)  # after the parameters
    expect(body).to_contain_text("// Your idempotency key for this send")
    expect(body).to_contain_text('Example:\n{\n  "id": ')
    upload = app.page.locator("details", has_text="Upload an image")  # a body that is not JSON
    upload.locator("summary").click()
    expect(upload).to_contain_text("Body (multipart/form-data)")
    expect(upload).to_contain_text("// The file itself")
