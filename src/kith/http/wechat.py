"""``/cgi-bin/``: the WeChat Official Account API, for publishers' servers (wechatpy, werobot).

Its own mount with WeChat's conventions rather than kith's (the protocol reference §2.1): the access
token in the query, JSON bodies whatever their Content-Type (the libraries send none), and every
answer HTTP 200, errors as ``{"errcode", "errmsg"}``: a non-200 would bypass the libraries' own error
handling. The rest of the API keeps its one error shape.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from kith import errors
from kith.http.bodies import Uploads, read_all
from kith.jsonenc import encode
from kith.platform.models import WeChatError

if TYPE_CHECKING:
    from kith.media.service import Stored
    from kith.platform.service import PlatformService
    from kith.services import Services

MAX_BODY = 1024 * 1024
Handler = Callable[["PlatformService", Any, Request, Any], Awaitable[Any]]
OK = {"errcode": 0, "errmsg": "ok"}


def _answer(value: Mapping[str, Any]) -> Response:
    return Response(encode(value), media_type="application/json")


async def _json(request: Request) -> dict[str, Any]:
    try:
        raw = await read_all(request, MAX_BODY)
    except errors.TooLarge:
        raise WeChatError(45002, f"the body may be at most {MAX_BODY} bytes") from None
    if not raw.strip():
        raise WeChatError(44002, "empty post data")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise WeChatError(47001, "data format error: the body is not JSON") from None
    if not isinstance(body, dict):
        raise WeChatError(47001, "data format error: the body is not a JSON object")
    return body


def _endpoint(
    services: Services, method: str, handler: Handler, *, token: bool = True, body: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    async def view(request: Request) -> Response:
        try:
            if request.method != method:
                raise WeChatError(43001 if method == "GET" else 43002, f"require {method} method")
            platform = services.platform
            account = await platform.by_token(request.query_params.get("access_token")) if token else None
            data = await _json(request) if body else None
            result = await handler(platform, account, request, data)
            if isinstance(result, Response):  # a file (material/get_material)
                return result
        except WeChatError as exc:
            return _answer({"errcode": exc.errcode, "errmsg": exc.message})
        except errors.RateLimited as exc:
            return _answer({"errcode": 45009, "errmsg": f"api freq out of limit: {exc.message}"})
        except errors.DomainError as exc:
            return _answer({"errcode": 40035, "errmsg": f"invalid parameter: {exc.message}"})
        return _answer(result if result is not None else OK)

    return view


async def _token(p: PlatformService, _: Any, request: Request, __: Any) -> Any:
    q = request.query_params
    return await p.issue_token(q.get("appid", ""), q.get("secret", ""), q.get("grant_type", ""))


async def _custom_send(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    await p.custom_send(account, body)


async def _mass_all(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    audience = body.get("filter")
    if not isinstance(audience, dict):
        raise WeChatError(40035, "invalid parameter: a mass send needs its filter")
    if audience.get("is_to_all") is True:
        return await p.mass_send(account, body, None)
    # wechatpy 1.x names the tag group_id, 2.x and werobot tag_id
    tag_id = audience.get("tag_id", audience.get("group_id"))
    if not isinstance(tag_id, int) or isinstance(tag_id, bool):
        raise WeChatError(40035, "invalid parameter: give is_to_all, or a tag_id")
    return await p.mass_send(account, body, None, tag_id)


async def _mass_list(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.mass_send(account, body, body.get("touser"))


async def _template(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.templates.send(account, body)


async def _set_industry(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    await p.templates.set_industry(account, body)


async def _get_industry(p: PlatformService, account: Any, _: Request, __: Any) -> Any:
    return await p.templates.get_industry(account)


async def _add_template(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.templates.add(account, body)


async def _templates(p: PlatformService, account: Any, _: Request, __: Any) -> Any:
    return await p.templates.private(account)


async def _del_template(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    await p.templates.delete(account, body)


async def _mass_preview(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.mass_preview(account, body)


async def _mass_get(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.mass_get(account, body)


async def _mass_delete(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    await p.mass_delete(account, body)


async def _upload_news(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.upload_news(account, body, permanent=False)


async def _upload_video(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.upload_video(account, body)


async def _add_news(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.upload_news(account, body, permanent=True)


async def _draft_add(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.upload_news(account, body, permanent=True, draft=True)


async def _material_get(p: PlatformService, account: Any, request: Request, body: Any) -> Any:
    base, token = str(request.base_url).rstrip("/"), request.query_params.get("access_token", "")
    found = await p.material.get(account, body, base, token)
    return found if isinstance(found, dict) else _file(found)


async def _material_delete(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    await p.material.delete(account, body)


async def _material_count(p: PlatformService, account: Any, _: Request, __: Any) -> Any:
    return await p.material.count(account)


async def _material_batch(p: PlatformService, account: Any, request: Request, body: Any) -> Any:
    return await p.material.batch(account, body, str(request.base_url).rstrip("/"))


async def _qrcode(p: PlatformService, account: Any, request: Request, body: Any) -> Any:
    return await p.qr_create(account, body, str(request.base_url).rstrip("/"))


async def _tags_get(p: PlatformService, account: Any, _: Request, __: Any) -> Any:
    return await p.tags(account)


async def _tags_create(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.tag_create(account, body)


async def _tags_update(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    await p.tag_update(account, body)


async def _tags_delete(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    await p.tag_delete(account, body)


async def _tagging(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    await p.tag_followers(account, body, add=True)


async def _untagging(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    await p.tag_followers(account, body, add=False)


async def _tags_of(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.tags_of(account, body)


async def _tagged(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    return await p.tagged(account, body)


async def _menu_create(p: PlatformService, account: Any, _: Request, body: Any) -> Any:
    await p.menu_create(account, body)


async def _menu_get(p: PlatformService, account: Any, _: Request, __: Any) -> Any:
    return await p.menu_get(account)


async def _menu_delete(p: PlatformService, account: Any, _: Request, __: Any) -> Any:
    await p.menu_delete(account)


async def _followers(p: PlatformService, account: Any, q: Request, __: Any) -> Any:
    return await p.followers(account, q.query_params.get("next_openid", ""))


async def _user_info(p: PlatformService, account: Any, q: Request, __: Any) -> Any:
    return await p.user_info(account, q.query_params.get("openid", ""), q.query_params.get("lang", ""))


async def _callback_ip(p: PlatformService, _: Any, __: Request, ___: Any) -> Any:
    return {"ip_list": []}


WECHAT_UPLOAD = Uploads(file_field="media", form_fields=("description",))


def _upload(
    services: Services, limit: int, *, picture: bool = False, material: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """``media/upload?type=…``; with ``picture``, ``media/uploadimg``: an image for articles' HTML,
    answered by its address in kith; with ``material``, ``material/add_material?type=…``."""

    async def view(request: Request) -> Response:
        try:
            if request.method != "POST":
                raise WeChatError(43002, "require POST method")
            platform = services.platform
            account = await platform.by_token(request.query_params.get("access_token"))
            try:
                WECHAT_UPLOAD.check(request)
                upload = await WECHAT_UPLOAD.read(request, bytes, limit)
            except errors.DomainError as exc:
                raise WeChatError(41005 if exc.code == "missing_body" else 40035, exc.message) from None
            kind = "image" if picture else request.query_params.get("type", "")
            if material:  # a video's description: a form field (werobot) or in the query (wechatpy)
                described = upload.fields.get("description", request.query_params.get("description"))
                base = str(request.base_url).rstrip("/")
                return _answer(await platform.material.add(
                    account, kind, upload.filename, upload.chunks, upload.declared, described, base))  # fmt: skip
            result = await platform.upload_media(account, kind, upload.filename, upload.chunks, upload.declared)
            if picture:
                result = {"url": f"{str(request.base_url).rstrip('/')}/api/v1/media/{result['media_id']}"}
        except WeChatError as exc:
            return _answer({"errcode": exc.errcode, "errmsg": exc.message})
        return _answer(result)

    return view


def _file(stored: Stored) -> Response:
    """A media file as WeChat serves one: its type, ``Content-Disposition: attachment; filename``."""
    try:
        stat = stored.path.stat()
    except FileNotFoundError:
        raise WeChatError(40007, "invalid media_id") from None
    return FileResponse(
        stored.path, media_type=stored.mime, stat_result=stat, filename=stored.name or stored.sha256[:16],
        headers={"Content-Security-Policy": "default-src 'none'; sandbox"},
    )  # fmt: skip


def _download(services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def view(request: Request) -> Response:
        try:
            account = await services.platform.by_token(request.query_params.get("access_token"))
            stored = await services.platform.media_file(account, request.query_params.get("media_id", ""))
            if stored.kind == "video" and "download" not in request.query_params:  # as WeChat: a link to it
                return _answer({"video_url": str(request.url.include_query_params(download="1"))})
            return _file(stored)
        except WeChatError as exc:
            return _answer({"errcode": exc.errcode, "errmsg": exc.message})

    return view


def routes(services: Services, upload_limit: int) -> list[BaseRoute]:
    table: list[tuple[str, str, Handler, dict[str, bool]]] = [
        ("/token", "GET", _token, {"token": False}),
        ("/message/custom/send", "POST", _custom_send, {"body": True}),
        ("/message/mass/sendall", "POST", _mass_all, {"body": True}),
        ("/message/mass/send", "POST", _mass_list, {"body": True}),
        ("/message/mass/preview", "POST", _mass_preview, {"body": True}),
        ("/message/mass/get", "POST", _mass_get, {"body": True}),
        ("/message/mass/delete", "POST", _mass_delete, {"body": True}),
        ("/media/uploadnews", "POST", _upload_news, {"body": True}),
        ("/media/uploadvideo", "POST", _upload_video, {"body": True}),
        ("/material/add_news", "POST", _add_news, {"body": True}),
        ("/draft/add", "POST", _draft_add, {"body": True}),
        ("/material/get_material", "POST", _material_get, {"body": True}),
        ("/material/del_material", "POST", _material_delete, {"body": True}),
        ("/material/get_materialcount", "GET", _material_count, {}),
        ("/material/batchget_material", "POST", _material_batch, {"body": True}),
        ("/message/template/send", "POST", _template, {"body": True}),
        ("/template/api_set_industry", "POST", _set_industry, {"body": True}),
        ("/template/get_industry", "GET", _get_industry, {}),
        ("/template/api_add_template", "POST", _add_template, {"body": True}),
        ("/template/get_all_private_template", "GET", _templates, {}),
        ("/template/del_private_template", "POST", _del_template, {"body": True}),
        ("/qrcode/create", "POST", _qrcode, {"body": True}),
        ("/tags/get", "GET", _tags_get, {}),
        ("/tags/create", "POST", _tags_create, {"body": True}),
        ("/tags/update", "POST", _tags_update, {"body": True}),
        ("/tags/delete", "POST", _tags_delete, {"body": True}),
        ("/tags/members/batchtagging", "POST", _tagging, {"body": True}),
        ("/tags/members/batchuntagging", "POST", _untagging, {"body": True}),
        ("/tags/getidlist", "POST", _tags_of, {"body": True}),
        ("/user/tag/get", "POST", _tagged, {"body": True}),
        ("/menu/create", "POST", _menu_create, {"body": True}),
        ("/menu/get", "GET", _menu_get, {}),
        ("/menu/delete", "GET", _menu_delete, {}),
        ("/user/get", "GET", _followers, {}),
        ("/user/info", "GET", _user_info, {}),
        ("/getcallbackip", "GET", _callback_ip, {}),
    ]
    out: list[BaseRoute] = [
        Route(path, _endpoint(services, method, handler, **options), methods=["GET", "POST"])
        for path, method, handler, options in table
    ]
    out.append(Route("/media/upload", _upload(services, upload_limit), methods=["GET", "POST"]))
    out.append(Route("/media/uploadimg", _upload(services, upload_limit, picture=True), methods=["GET", "POST"]))
    out.append(Route("/media/get", _download(services), methods=["GET"]))
    out.append(Route("/material/add_material", _upload(services, upload_limit, material=True), methods=["GET", "POST"]))

    async def unknown(request: Request) -> Response:
        return _answer({"errcode": 48001, "errmsg": "api unauthorized: kith does not offer this API"})

    out.append(Route("/{rest:path}", unknown, methods=["GET", "POST"]))
    return out
