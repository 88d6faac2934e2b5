"""The client's two languages: every string it shows exists in English and in Chinese, and nothing
else (docs/web-client.md, "Languages").

English is the source: a string is written in English inside ``t('…')`` or ``tn(n, '…', '…')``, and
/locales/zh-CN.json maps it to Chinese. These tests read the code, so a string added in one
language only fails here before any browser runs; the browser tests walk the screens in Chinese.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kithweb import PASSWORD, PHONE, Api, App
from playwright.sync_api import expect

WEB = Path(__file__).resolve().parents[2] / "src" / "kith" / "web"
CATALOG = WEB / "locales" / "zh-CN.json"

_STRING = r"""('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")"""
T_CALL = re.compile(r"(?<![\w.$])t\(\s*")
T_STRING = re.compile(r"(?<![\w.$])t\(\s*" + _STRING)
TN_CALL = re.compile(r"(?<![\w.$])tn\(")
TN_STRINGS = re.compile(r"(?<![\w.$])tn\([^,()]*(?:\([^()]*\)[^,()]*)*,\s*" + _STRING + r"\s*,\s*" + _STRING)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)")
SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


def _unquote(literal: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code.strip("u{}x") if code[0] == "x" else code[1:].strip("{}"), 16))
        return SIMPLE_ESCAPES.get(code, code)

    return ESCAPE.sub(one, literal[1:-1])


def _scripts() -> list[Path]:
    return sorted(WEB.rglob("*.js"))


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _skipped(text: str, offset: int) -> bool:
    """A comment's example, or the definition ``function t(``."""
    line = text[text.rfind("\n", 0, offset) + 1 : offset].lstrip()
    return line.startswith(("//", "*", "/*")) or line.endswith("function ")


def source_strings() -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(strings to translate -> where, singular forms -> where, calls whose text is not a literal)."""
    strings: dict[str, str] = {}
    singulars: dict[str, str] = {}
    dynamic: list[str] = []
    for script in _scripts():
        text = script.read_text()
        name = script.relative_to(WEB).as_posix()
        for call in T_CALL.finditer(text):
            if _skipped(text, call.start()):
                continue
            match = T_STRING.match(text, call.start())
            if not match:
                dynamic.append(f"{name}:{_line(text, call.start())}")
                continue
            strings.setdefault(_unquote(match.group(1)), f"{name}:{_line(text, call.start())}")
        for call in TN_CALL.finditer(text):
            if _skipped(text, call.start()):
                continue
            match = TN_STRINGS.match(text, call.start())
            if not match:
                dynamic.append(f"{name}:{_line(text, call.start())}")
                continue
            where = f"{name}:{_line(text, call.start())}"
            singulars.setdefault(_unquote(match.group(1)), where)
            strings.setdefault(_unquote(match.group(2)), where)
    return strings, singulars, dynamic


def catalog() -> dict[str, str]:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


def test_every_string_is_written_as_a_literal() -> None:
    _, _, dynamic = source_strings()
    assert not dynamic, f"t()/tn() called with something other than string literals at {dynamic}"


def test_every_string_has_a_chinese_translation() -> None:
    strings, _, _ = source_strings()
    zh = catalog()
    missing = {english: where for english, where in strings.items() if not zh.get(english, "").strip()}
    listed = sorted(missing.items(), key=lambda item: (item[1].split(":")[0], int(item[1].split(":")[1])))
    assert not missing, "in English only:\n" + "\n".join(f"  {where}: {english!r}" for english, where in listed)


def test_every_translation_is_of_a_string_the_client_shows() -> None:
    strings, _, _ = source_strings()
    unused = sorted(set(catalog()) - set(strings))
    assert not unused, f"in Chinese only (no t() of them in the code): {unused}"


def test_translations_keep_their_placeholders() -> None:
    strings, singulars, _ = source_strings()
    zh = catalog()
    wrong = []
    for english, chinese in zh.items():
        if set(PLACEHOLDER.findall(english)) != set(PLACEHOLDER.findall(chinese)):
            wrong.append((english, chinese))
    for singular in singulars:
        # a singular form may drop {n} ("a minute"), but may not invent a placeholder
        assert set(PLACEHOLDER.findall(singular)) <= {"n"} | {p for s in strings for p in PLACEHOLDER.findall(s)}
    assert not wrong, f"placeholders differ: {wrong}"


def test_the_catalog_is_sorted_json_an_editor_can_merge() -> None:
    zh = catalog()
    expected = json.dumps(dict(sorted(zh.items())), ensure_ascii=False, indent=2) + "\n"
    assert CATALOG.read_text(encoding="utf-8") == expected, "write it with scripts/sort-translations"


def test_the_reader_of_strings_finds_what_it_should() -> None:
    # the reader above, on a sample: a test of the test, so a regex slip cannot pass every file
    sample = (
        "t('A') + t(\"B \\\"q\\\"\") + tn(list.length, '{n} item', '{n} items') + t(x) + set('no')"
        " + tn(f(a, b), 'c', 'cs')"
    )
    found = [_unquote(m.group(1)) for m in T_STRING.finditer(sample)]
    assert found == ["A", 'B "q"']
    plurals = [(_unquote(m.group(1)), _unquote(m.group(2))) for m in TN_STRINGS.finditer(sample)]
    assert plurals == [("{n} item", "{n} items"), ("c", "cs")]
    assert len(list(T_CALL.finditer(sample))) == 3  # t('A'), t("B"), t(x): set( is not t(


# -- in the browser ------------------------------------------------------------------------------


def test_a_chinese_browser_gets_the_client_in_chinese_and_signs_in_with_it(new_app, api: Api) -> None:
    person = api.register("lang", "小林")
    app: App = new_app("zh", locale="zh-CN")
    app.open()
    page = app.page
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert app.untranslated() == []
    page.get_by_label("用户名").fill(person.handle)
    page.get_by_label("密码").fill("wrong password")
    with app.watch.expect_problems(r"HTTP 401: POST .*/api/v1/sessions$", r"status of 401"):
        page.get_by_role("button", name="登录").click()
        expect(page.locator(".form-error")).to_have_text("用户名或密码错误。")
    assert app.untranslated() == []
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    app.wait_online()
    page.goto(f"{app.base_url}/#/me/profile")
    expect(page.get_by_role("heading", name="个人资料")).to_be_visible()
    assert app.untranslated(re_handle(person.handle), within="section.page") == []


def test_an_english_browser_gets_english_and_me_switches_it_to_chinese_and_back(new_app, api: Api) -> None:
    person = api.register("lang", "Lin")
    app: App = new_app("en", locale="en-GB").signed_in_as(person, "me/language")
    page = app.page
    expect(page.get_by_role("heading", name="Language")).to_be_visible()
    expect(page.get_by_role("radio", name="As the browser")).to_be_checked()
    with app.watch.expect_problems(r"net::ERR_ABORTED"):
        page.get_by_role("radio", name="简体中文").click()
        expect(page.get_by_role("heading", name="语言")).to_be_visible()
    app.wait_online()
    expect(page.get_by_role("radio", name="简体中文")).to_be_checked()
    expect(page.get_by_role("heading", name="我", exact=True)).to_be_visible()
    with app.watch.expect_problems(r"net::ERR_ABORTED"):
        page.get_by_role("radio", name="跟随浏览器").click()
        expect(page.get_by_role("heading", name="Language")).to_be_visible()
    app.wait_online()


def test_dates_follow_the_language(new_app, api: Api) -> None:
    a, b = api.register("lang", "甲"), api.register("lang", "乙")
    api.befriend(a, b)
    api.say(a, api.direct(a, b), "你好")
    app: App = new_app("zh", viewport=PHONE, locale="zh-CN").signed_in_as(b)
    # the list shows today's message by its time: in Chinese, a 24-hour clock with no AM/PM
    expect(app.chat_item("甲").locator(".chat-time")).to_have_text(re.compile(r"^\d{1,2}:\d{2}$"))
    app.open_chat("甲")
    expect(app.page.locator(".day-sep").first).to_have_text("今天")
    english: App = new_app("en", locale="en-US").signed_in_as(b)
    expect(english.chat_item("甲").locator(".chat-time")).to_have_text(re.compile(r"^\d{1,2}:\d{2}\s?[AP]M$"))


def re_handle(handle: str) -> str:
    """The regex for a handle as the client shows it, for App.untranslated."""
    return re.escape(handle)
