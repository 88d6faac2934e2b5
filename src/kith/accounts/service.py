"""Accounts and devices: sign up, sign in, tokens, profiles, and the admin verbs."""

from __future__ import annotations

from typing import Any

from kith import validation
from kith.accounts import store
from kith.accounts.models import (
    DEVICE_ADDED,
    DEVICE_REVOKED,
    MAX_DEVICE_NAME,
    MAX_DISPLAY_NAME,
    MAX_PASSWORD,
    MAX_STATUS,
    MIN_PASSWORD,
    PROFILE_UPDATED,
    SIGN_IN_KEY,
    Caller,
    Device,
    ServerInfo,
    Session,
    User,
    check_handle,
    user_from_row,
)
from kith.accounts.passwords import Passwords
from kith.accounts.throttle import FailedAttempts
from kith.accounts.tokens import digest, new_token
from kith.clock import Clock
from kith.contacts import access as contacts
from kith.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from kith.events import EventLog, Writer
from kith.jsonenc import encode
from kith.media import access as media
from kith.media.models import IMAGE, MEDIA_ID, REF_USER_AVATAR
from kith.push import access as push
from kith.ratelimit import Limits, Rate
from kith.storage.database import Database, Tx

TOUCH_INTERVAL_MS = 60_000  # how stale a device's last_seen_at may get before a read refreshes it
DEFAULT_SIGN_IN_FAILURES = Rate(10, 900)  # failed sign-ins per handle per 15 minutes


def check_password(password: str, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"{field} must be at least {MIN_PASSWORD} characters", field=field)
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"{field} must be at most {MAX_PASSWORD} characters", field=field)
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(f"{field} must be valid Unicode", field=field) from None
    return password


def _sign_in_key(key: str | None) -> bytes | None:
    """The digest of a client's sign-in key (None without one)."""
    if key is None:
        return None
    if not SIGN_IN_KEY.match(key):
        raise Invalid("device_key must be 22 to 128 characters of A-Z, a-z, 0-9, _ and -", field="device_key")
    return digest(key)


def _device_name(name: str | None) -> str:
    return validation.line(name or "", "device_name", MAX_DEVICE_NAME, allow_empty=True) or "Unknown device"


def _revoke_all(tx: Tx, log: EventLog, user_id: int, keep: int | None) -> None:
    for device_id in store.device_ids(tx, user_id):
        if device_id != keep:
            push.forget_device(tx, device_id)
            store.delete_device(tx, user_id, device_id)
            log.append(user_id, DEVICE_REVOKED, encode({"device_id": device_id}))


def _tell_profile(tx: Tx, log: EventLog, user_id: int) -> User:
    """The user's profile as changed, told to their own devices and their friends."""
    user = user_from_row(store.user(tx, user_id))
    data = encode({"user": user})
    log.append(user_id, PROFILE_UPDATED, data)
    log.append_many(contacts.friend_ids(tx, user_id), PROFILE_UPDATED, data)
    return user


class AccountService:
    def __init__(
        self,
        db: Database,
        writer: Writer,
        passwords: Passwords,
        clock: Clock,
        registration_open: bool,
        limits: Limits,
        sign_in_failures: Rate | None = DEFAULT_SIGN_IN_FAILURES,
    ) -> None:
        self.db = db
        self.writer = writer
        self.passwords = passwords
        self.clock = clock
        self.registration_open = registration_open
        self._has_users = False
        self.limits = limits
        failures = sign_in_failures or Rate(2**31, 1)  # off: never paused
        self.failed_sign_ins = FailedAttempts(clock, failures.count, failures.seconds)

    # -- sign up, sign in --------------------------------------------------------------------

    async def server_info(self) -> ServerInfo:
        """Asked by every sign-in screen, so the answer "not empty" (which never changes back) is kept."""
        if not self._has_users:
            self._has_users = await self.db.read(store.any_user)
        return ServerInfo(self.registration_open, not self._has_users)

    async def register(
        self,
        handle: str,
        display_name: str,
        password: str,
        device_name: str | None = None,
        *,
        ip: str = "",
        device_key: str | None = None,
    ) -> Session:
        await self.limits.take("sign_up_ip", ip)
        if not self.registration_open:
            raise Forbidden("sign-up is closed on this server; ask its admin for an account", "registration_closed")
        name = _device_name(device_name)  # checked before the account is created
        key_hash = _sign_in_key(device_key)
        user = await self.create_user(handle, display_name, password)
        return await self._new_session(user, name, key_hash)

    async def create_user(self, handle: str, display_name: str, password: str) -> User:
        handle = check_handle(handle)
        display_name = validation.line(display_name, "display_name", MAX_DISPLAY_NAME)
        check_password(password)
        await self.passwords.check_strength(password, user_inputs=(handle, display_name))
        password_hash = await self.passwords.hash(password)
        user_id = await self.db.write(store.insert_user, handle, display_name, password_hash, self.clock.now_ms())
        if user_id is None:
            raise Conflict("that handle is taken", "handle_taken", field="handle")
        return User(user_id, handle, display_name, "")

    async def sign_in(
        self,
        handle: str,
        password: str,
        device_name: str | None = None,
        *,
        ip: str = "",
        device_key: str | None = None,
    ) -> Session:
        await self.limits.take("sign_in_ip", ip)
        name = _device_name(device_name)
        key_hash = _sign_in_key(device_key)
        handle = handle.strip().lower()
        row = await self.db.read(store.credentials, handle)
        throttle = handle
        if (
            row is not None
            and key_hash is not None
            and await self.db.read(store.knows_sign_in_key, row["id"], key_hash)
        ):
            throttle = f"{handle}\n{key_hash.hex()}"  # a device that signed in here before: a budget of its own
        self.failed_sign_ins.begin(throttle)  # counted before the password is checked
        ok = await self.passwords.verify(row["password_hash"] if row else None, password)
        if not ok or row is None or row["disabled"]:
            raise Unauthenticated("wrong handle or password", "wrong_credentials")
        self.failed_sign_ins.clear(throttle)
        await self.limits.take("device_user", row["id"])
        user = await self.db.read(store.user, row["id"])
        return await self._new_session(user_from_row(user), name, key_hash)

    async def _new_session(self, user: User, device_name: str, key_hash: bytes | None = None) -> Session:
        token, token_hash = new_token()
        now = self.clock.now_ms()

        def insert(tx: Tx, log: EventLog) -> Device:
            device = Device(store.insert_device(tx, user.id, token_hash, device_name, now), device_name, now, now)
            if key_hash is not None:
                store.remember_sign_in_key(tx, user.id, key_hash, now)
            log.append(user.id, DEVICE_ADDED, encode(device))
            return device

        device = await self.writer.run(insert)
        device.current = True
        return Session(token=token, user=user, device=device)

    async def authenticate(self, token: str) -> Caller:
        if not token or len(token) > 256:
            raise Unauthenticated("a valid bearer token is required")
        row = await self.db.read(store.device_by_token, digest(token))
        if row is None:
            raise Unauthenticated("this session has ended; sign in again", "session_ended")
        now = self.clock.now_ms()
        if now - row["last_seen_at"] > TOUCH_INTERVAL_MS:
            await self.db.write(store.touch_device, row["id"], now)
        return Caller(row["user_id"], row["id"])

    # -- devices -----------------------------------------------------------------------------

    async def devices(self, caller: Caller) -> list[Device]:
        devices = await self.db.read(store.devices, caller.user_id)
        for device in devices:
            device.current = device.id == caller.device_id
        return devices

    async def revoke_device(self, caller: Caller, device_id: int) -> None:
        def revoke(tx: Tx, log: EventLog) -> None:
            if device_id not in store.device_ids(tx, caller.user_id):
                raise NotFound("no such device")
            push.forget_device(tx, device_id)  # before the device: the subscription refers to it
            store.delete_device(tx, caller.user_id, device_id)
            log.append(caller.user_id, DEVICE_REVOKED, encode({"device_id": device_id}))

        await self.writer.run(revoke)

    async def sign_out(self, caller: Caller) -> None:
        await self.revoke_device(caller, caller.device_id)

    async def confirm_password(self, caller: Caller, password: str, field: str) -> None:
        """Check a signed-in user's current password before a grave change (a new password, deleting
        the account). Throttled like a sign-in, per account: a stolen token cannot guess the password."""
        throttle = f"confirm\n{caller.user_id}"
        self.failed_sign_ins.begin(throttle)
        current = await self.db.read(store.password_hash, caller.user_id)
        if not await self.passwords.verify(current, password):
            raise Forbidden("the current password is wrong", "wrong_password", field=field)
        self.failed_sign_ins.clear(throttle)

    async def change_password(self, caller: Caller, old_password: str, new_password: str) -> None:
        check_password(new_password, "new_password")
        await self.confirm_password(caller, old_password, "old_password")
        me = await self.profile(caller.user_id)
        await self.passwords.check_strength(new_password, "new_password", (me.handle, me.display_name))
        new_hash = await self.passwords.hash(new_password)

        def change(tx: Tx, log: EventLog) -> None:
            store.set_password(tx, caller.user_id, new_hash)
            _revoke_all(tx, log, caller.user_id, keep=caller.device_id)

        await self.writer.run(change)

    # -- profile -----------------------------------------------------------------------------

    async def profile(self, user_id: int) -> User:
        row = await self.db.read(store.user, user_id)
        if row is None:
            raise NotFound("no such user")
        return user_from_row(row)

    async def update_profile(self, caller: Caller, display_name: str | None = None, status: str | None = None) -> User:
        changes: dict[str, Any] = {}
        if display_name is not None:
            changes["display_name"] = validation.line(display_name, "display_name", MAX_DISPLAY_NAME)
        if status is not None:
            changes["status"] = validation.line(status, "status", MAX_STATUS, allow_empty=True)
        if not changes:
            raise Invalid("nothing to change: give display_name or status")

        def update(tx: Tx, log: EventLog) -> User:
            store.update_profile(tx, caller.user_id, changes)
            return _tell_profile(tx, log, caller.user_id)

        return await self.writer.run(update)

    async def set_avatar(self, caller: Caller, media_id: str | None) -> User:
        """Show an image the caller uploaded as their picture (None: none); friends are told."""
        if media_id is not None and not MEDIA_ID.match(media_id):
            raise Invalid("media_id must be the id of an upload", field="media_id")

        def update(tx: Tx, log: EventLog) -> User:
            media.release(tx, log, REF_USER_AVATAR, [caller.user_id])
            if media_id is not None:
                media.attach(tx, caller.user_id, media_id, REF_USER_AVATAR, caller.user_id, (IMAGE,))
            store.update_profile(tx, caller.user_id, {"avatar_id": media_id})
            return _tell_profile(tx, log, caller.user_id)

        return await self.writer.run(update)

    # -- administration (the `kith admin` commands) ------------------------------------------

    async def reset_password(self, handle: str, password: str) -> None:
        check_password(password)
        await self.passwords.check_strength(password, user_inputs=(handle,))
        new_hash = await self.passwords.hash(password)

        def reset(tx: Tx, log: EventLog) -> None:
            row = store.credentials(tx, check_handle(handle))
            if row is None:
                raise NotFound(f"no user with handle {handle!r}")
            store.set_password(tx, row["id"], new_hash)
            store.forget_sign_in_keys(tx, row["id"])  # whoever had the old password keeps no exemption
            _revoke_all(tx, log, row["id"], keep=None)

        await self.writer.run(reset)

    async def set_disabled(self, handle: str, disabled: bool) -> None:
        def change(tx: Tx, log: EventLog) -> None:
            row = store.credentials(tx, check_handle(handle))
            if row is None:
                raise NotFound(f"no user with handle {handle!r}")
            store.set_disabled(tx, row["id"], disabled)
            if disabled:
                _revoke_all(tx, log, row["id"], keep=None)

        await self.writer.run(change)

    async def list_users(self) -> list[dict[str, Any]]:
        rows = await self.db.read(store.all_users)
        return [dict(row) for row in rows]
