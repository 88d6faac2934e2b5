"""The `kith` command: serve, migrate, admin, bench."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from kith import __version__
from kith import settings as config
from kith.bench.cli import add_bench_parser, run_bench
from kith.bus.memory import MemoryBus
from kith.clock import SystemClock
from kith.errors import DomainError
from kith.observe import logs
from kith.services import build_services
from kith.settings import Settings
from kith.storage.migrate import SchemaOutdated, SchemaTooNew


def _add_settings_flags(parser: argparse.ArgumentParser, default: object = None) -> None:
    parser.add_argument("--config", type=Path, default=default, help="a TOML file of settings (also KITH_CONFIG)")
    for setting in config.TABLE:
        if setting.flag:
            flag = "--" + setting.name.replace("_", "-")
            parser.add_argument(
                flag, dest=setting.name, default=default, help=f"{setting.help} [{config.env_name(setting)}]"
            )


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {s.name: getattr(args, s.name, None) for s in config.TABLE if s.flag}
    return config.load(overrides, config_file=args.config)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kith", description="kith: a messenger for the people you know.")
    parser.add_argument("--version", action="version", version=f"kith {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server")
    _add_settings_flags(serve)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    _add_settings_flags(migrate)

    transfer = commands.add_parser(
        "migrate-store", help="copy a whole deployment to another database (SQLite <-> PostgreSQL)"
    )
    transfer.add_argument("--from", dest="source", required=True, help="source database URL")
    transfer.add_argument("--to", dest="target", required=True, help="target database URL (empty)")

    backup = commands.add_parser("backup", help="copy the database to one file, safely while the server runs")
    _add_settings_flags(backup)
    backup.add_argument("--to", dest="backup_file", type=Path, required=True, help="the backup file to write (new)")
    restore = commands.add_parser("restore", help="restore a backup into an empty data directory or database")
    _add_settings_flags(restore)
    restore.add_argument("--from", dest="backup_file", type=Path, required=True, help="the backup file to read")

    admin = commands.add_parser("admin", help="manage users")
    _add_settings_flags(admin)
    verbs = admin.add_subparsers(dest="verb", required=True)
    # the settings flags are accepted after the verb too: `kith admin list-users --data-dir x`
    common = argparse.ArgumentParser(add_help=False)
    _add_settings_flags(common, default=argparse.SUPPRESS)
    create = verbs.add_parser("create-user", help="create a user", parents=[common])
    create.add_argument("handle")
    create.add_argument("--display-name", required=True)
    create.add_argument("--password", help="the password (asked for when omitted)")
    reset = verbs.add_parser("reset-password", help="set a new password and sign out every device", parents=[common])
    reset.add_argument("handle")
    reset.add_argument("--password", help="the new password (asked for when omitted)")
    verbs.add_parser("list-users", help="list all users", parents=[common])
    disable = verbs.add_parser("disable-user", help="disable a user and sign out every device", parents=[common])
    disable.add_argument("handle")
    enable = verbs.add_parser("enable-user", help="enable a disabled user", parents=[common])
    enable.add_argument("handle")
    add_bench_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "bench":
        return run_bench(args)
    if args.command == "migrate-store":
        return migrate_store(args.source, args.target)
    try:
        settings = _settings(args)
        logs.configure(settings.log_level, settings.log_format)
    except (ValueError, OSError) as exc:
        print(f"kith: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "serve":
            return serve(settings)
        if args.command == "migrate":
            return migrate(settings)
        if args.command in ("backup", "restore"):
            return backup_or_restore(settings, args.command, args.backup_file)
        return asyncio.run(admin(settings, args))
    except (SchemaTooNew, SchemaOutdated) as exc:
        print(f"kith: {exc}", file=sys.stderr)
        return 1


def migrate(settings: Settings) -> int:
    from kith.app import open_database

    applied = open_database(settings).migrate()
    print(f"applied migrations {applied}" if applied else "the database is up to date")
    return 0


def migrate_store(source: str, target: str) -> int:
    from kith.storage.transfer import TransferError, copy

    try:
        copy(source, target)
    except (TransferError, SchemaTooNew, SchemaOutdated, ValueError) as exc:
        print(f"kith: {exc}", file=sys.stderr)
        return 1
    return 0


def backup_or_restore(settings: Settings, command: str, file: Path) -> int:
    from kith.storage import backup

    try:
        if command == "backup":
            done = backup.backup(settings.database_url, file)
        else:
            done = backup.restore(file, settings.database_url)
    except backup.BackupError as exc:
        print(f"kith: {exc}", file=sys.stderr)
        return 1
    where = "backed up to" if command == "backup" else "restored into"
    counts = f": {done.rows} rows in {len(done.counts)} tables" if done.counts else ""
    print(f"{where} {done.target}{counts}")
    return 0


def serve(settings: Settings) -> int:
    import uvicorn

    from kith.app import create_app, open_database
    from kith.http import security
    from kith.http.server import HttpProtocol
    from kith.ws.server import WebSocketProtocol

    open_database(settings).migrate()  # fail fast, before binding, on a database newer than this code

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                port = self.servers[0].sockets[0].getsockname()[1]
                print(f"kith is running: open http://{settings.host}:{port}/", flush=True)

    uv_config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=HttpProtocol.configured(settings),  # uvicorn's httptools protocol, with head and body limits
        ws=WebSocketProtocol,  # uvicorn's websockets-sansio protocol
        headers=security.headers(),
        ws_max_size=settings.max_ws_frame_bytes,
        ws_ping_interval=settings.ws_heartbeat_seconds,
        ws_ping_timeout=settings.ws_heartbeat_seconds,
        ws_per_message_deflate=False,
        interface="asgi3",  # Kith.__call__ returns a coroutine rather than being one
        proxy_headers=False,  # kith reads X-Forwarded-For itself, from trusted_proxies only
        log_level=settings.log_level,
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,  # json: ours
        access_log=settings.log_level == "debug",
        timeout_graceful_shutdown=5,
    )
    server = Server(uv_config)
    server.run()
    return 0 if server.started else 1


async def admin(settings: Settings, args: argparse.Namespace) -> int:
    from kith.app import open_database

    db = open_database(settings)
    db.migrate()
    await db.start()
    # a running server learns of these changes from the store within one heartbeat
    accounts = build_services(settings.replace(registration_open=True), db, MemoryBus(), SystemClock()).accounts
    actions: dict[str, Callable[[], Awaitable[Any]]] = {
        "create-user": lambda: accounts.create_user(args.handle, args.display_name, args.password or _ask_password()),
        "reset-password": lambda: accounts.reset_password(args.handle, args.password or _ask_password()),
        "disable-user": lambda: accounts.set_disabled(args.handle, True),
        "enable-user": lambda: accounts.set_disabled(args.handle, False),
        "list-users": accounts.list_users,
    }
    try:
        result = await actions[args.verb]()
    except DomainError as exc:
        print(f"kith: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    if args.verb == "list-users":
        print(f"{'id':>6}  {'handle':<32} {'display name':<32} {'devices':>7}  state")
        for row in result:
            state = "disabled" if row["disabled"] else "active"
            print(f"{row['id']:>6}  {row['handle']:<32} {row['display_name']:<32} {row['devices']:>7}  {state}")
    elif args.verb == "create-user":
        print(f"created @{result.handle} (id {result.id})")
    else:
        print("done")
    return 0


def _ask_password() -> str:
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise DomainError("the two passwords differ")
    return first
