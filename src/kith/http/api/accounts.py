"""Sign-up, sign-in, devices and profile."""

from __future__ import annotations

from typing import Any

import msgspec

from kith.accounts.models import Device, Session, User
from kith.http.endpoint import Call


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    pass


class RegisterIn(Strict):
    handle: str
    display_name: str
    password: str
    device_name: str | None = None
    device_key: str | None = None


class SignInIn(Strict):
    handle: str
    password: str
    device_name: str | None = None
    device_key: str | None = None


class ProfileIn(Strict):
    display_name: str | None = None
    status: str | None = None


class PasswordIn(Strict):
    old_password: str
    new_password: str


class DevicesOut(msgspec.Struct):
    devices: list[Device]


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
