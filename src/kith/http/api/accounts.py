"""Sign-up, sign-in, devices and profile."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta
from starlette.responses import Response, StreamingResponse

from kith.accounts.models import Device, ServerInfo, Session, User
from kith.http.api.fields import AnyPassword, DeviceKey, DeviceName, DisplayName, Handle, Password, Status, at_least_one
from kith.http.endpoint import Call


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    """A request body: unknown fields are refused. ``schema_extra`` adds rules about the body as a
    whole to its schema in the OpenAPI document (the services check them)."""

    schema_extra: ClassVar[dict[str, Any]] = {}


class RegisterIn(Strict):
    handle: Annotated[Handle, Meta(description="Your handle, unique (stored in lower case): people find you by typing "
                                   "it exactly, and it cannot be changed")]  # fmt: skip
    display_name: DisplayName
    password: Password
    device_name: DeviceName | None = None
    device_key: DeviceKey | None = None


class SignInIn(Strict):
    handle: Annotated[Handle, Meta(description="Your handle")]
    password: AnyPassword
    device_name: DeviceName | None = None
    device_key: DeviceKey | None = None


class ProfileIn(Strict):
    schema_extra = at_least_one("display_name", "status")

    display_name: DisplayName | None = None
    status: Status | None = None


class PasswordIn(Strict):
    old_password: Annotated[AnyPassword, Meta(description="Your current password")]
    new_password: Annotated[Password, Meta(description="The new password: at least 8 characters and hard to guess "
                                           "(a weak one is refused with `weak_password` and advice)")]  # fmt: skip


class DeleteAccountIn(Strict):
    password: Annotated[AnyPassword, Meta(description="Your password, to confirm that it is you")]


class DevicesOut(msgspec.Struct):
    devices: Annotated[
        list[Device], Meta(description="Your signed-in devices, oldest first (the one asking: `current`)")
    ]


async def server(call: Call) -> ServerInfo:
    return await call.services.accounts.server_info()


async def register(call: Call) -> Session:
    b: RegisterIn = call.body
    return await call.services.accounts.register(
        b.handle, b.display_name, b.password, b.device_name, ip=call.ip, device_key=b.device_key
    )


async def sign_in(call: Call) -> Session:
    b: SignInIn = call.body
    return await call.services.accounts.sign_in(
        b.handle, b.password, b.device_name, ip=call.ip, device_key=b.device_key
    )


async def sign_out(call: Call) -> None:
    await call.services.accounts.sign_out(call.caller)


async def me(call: Call) -> User:
    return await call.services.accounts.profile(call.caller.user_id)


async def update_me(call: Call) -> User:
    b: ProfileIn = call.body
    return await call.services.accounts.update_profile(call.caller, b.display_name, b.status)


async def change_password(call: Call) -> None:
    b: PasswordIn = call.body
    await call.services.accounts.change_password(call.caller, b.old_password, b.new_password)


async def devices(call: Call) -> Any:
    return DevicesOut(await call.services.accounts.devices(call.caller))


async def revoke_device(call: Call) -> None:
    await call.services.accounts.revoke_device(call.caller, call.path["device_id"])


async def delete_me(call: Call) -> None:
    b: DeleteAccountIn = call.body
    await call.services.deletion.do_delete_account(call.caller, b.password)


async def export_me(call: Call) -> Response:
    done = await call.services.exports.do_export(call.caller)
    return StreamingResponse(
        done.chunks(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{done.filename}"',
            "Content-Length": str(done.size),
            "Cache-Control": "no-store",
        },
    )
