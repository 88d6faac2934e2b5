"""One explicit configuration object, built once at start and passed down.

Every setting is declared once in ``TABLE``; the same row feeds the CLI flags, the ``KITH_*``
environment variables, the optional TOML file and the settings page in ``docs/``.
Precedence: CLI flag > environment variable > config file > default.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    help: str
    flag: bool = False  # also offered as a `kith serve` command-line flag
    bounds: tuple[float, float] | None = None  # lowest and highest value accepted, both included


TABLE: tuple[Setting, ...] = (
    Setting("host", str, "127.0.0.1", "Address to listen on.", flag=True),
    Setting("port", int, 8080, "TCP port to listen on.", flag=True),
    Setting("data_dir", Path, Path("kith-data"), "Directory for the SQLite database and uploads.", flag=True),
    Setting(
        "database",
        str,
        "",
        "Database URL: `sqlite:///path/kith.db` or `postgresql://user@host/db`."
        " Empty means a SQLite file `kith.db` in the data directory.",
        flag=True,
    ),
    Setting(
        "bus",
        str,
        "memory://",
        "Wake-up bus between nodes: `memory://` (one node) or `redis://host:6379/0` (many; add"
        " `?namespace=name` to keep deployments that share one Redis apart).",
        flag=True,
    ),
    Setting("database_writers", int, 8, "Writer threads per node on PostgreSQL (SQLite always has one)."),
    Setting(
        "database_batch_max",
        int,
        32,
        "Most write jobs each PostgreSQL writer thread commits in one transaction (1: each on its own). A"
        " batch holds its jobs' row locks until it commits, so keep it small: it is cut short after 100 ms"
        " of waiting for a lock and its jobs then run one by one.",
    ),
    Setting(
        "database_prepared_statements",
        bool,
        True,
        "Whether PostgreSQL connections prepare the statements they run often. Turn off behind a pooler in"
        " transaction mode (PgBouncer before 1.21, or without `max_prepared_statements`): there the next"
        " transaction may run on another server connection, which does not have them.",
    ),
    Setting("registration_open", bool, True, "Whether anyone may sign up (admins can always create users)."),
    Setting("max_text_bytes", int, 16 * 1024, "Largest text message, in UTF-8 bytes."),
    Setting(
        "max_body_bytes",
        int,
        64 * 1024,
        "Largest request body a route accepts, unless the route declares its own limit (the API docs state it).",
    ),
    Setting(
        "max_header_bytes",
        int,
        32 * 1024,
        "Largest request head (request target and headers), in bytes; a larger one is answered 431.",
    ),
    Setting("max_headers", int, 100, "Most header fields one request may have; more is answered 431."),
    Setting(
        "http_header_timeout_seconds",
        float,
        10.0,
        "Time a connection has to send a complete request head (from connecting, or from a request's first"
        " byte); then it is closed.",
    ),
    Setting(
        "http_body_timeout_seconds",
        float,
        30.0,
        "Time a request body may stop arriving before it is answered 408 and the connection closed.",
    ),
    Setting("max_ws_frame_bytes", int, 64 * 1024, "Largest WebSocket frame accepted from a client."),
    Setting("max_group_members", int, 500, "Most members a group may have."),
    Setting("max_friends", int, 5000, "Most friends a user may have."),
    Setting("recall_window_seconds", int, 120, "How long after sending a message its sender may recall it."),
    Setting("media_image_max_bytes", int, 20 * 1024 * 1024, "Largest image upload, in bytes."),
    Setting(
        "media_image_max_pixels",
        int,
        40_000_000,
        "Most pixels (width x height) an uploaded image, or a video's frame, may have; more is refused before"
        " it is decoded (a decompression bomb).",
    ),
    Setting("media_voice_max_bytes", int, 2 * 1024 * 1024, "Largest voice note upload, in bytes."),
    Setting("media_voice_max_seconds", int, 60, "Longest voice note, in seconds."),
    Setting("media_file_max_bytes", int, 100 * 1024 * 1024, "Largest file upload, in bytes."),
    Setting("media_video_max_bytes", int, 50 * 1024 * 1024, "Largest video upload, in bytes."),
    Setting("media_video_max_seconds", int, 300, "Longest video, in seconds."),
    Setting("media_quota_bytes", int, 2 * 1024 * 1024 * 1024, "Bytes of uploads each user may keep (0: no quota)."),
    Setting(
        "media_sweep_grace_seconds",
        int,
        86400,
        "How long an upload that nothing refers to (no message, avatar or post) is kept before it is deleted.",
    ),
    Setting(
        "media_uploads_at_once",
        int,
        4,
        "Uploads one user may have in progress at once per node (each is a temporary file until it is checked).",
    ),
    Setting(
        "media_process_concurrency",
        int,
        2,
        "Uploads checked and re-encoded at once per node (each image holds its decoded pixels in memory).",
    ),
    Setting(
        "platform_allow_private_webhooks",
        bool,
        False,
        "Allow official accounts' webhook URLs that resolve to loopback, private or link-local addresses"
        " (for a publisher's server on the same machine or network, and for tests).",
    ),
    Setting("platform_token_ttl_seconds", int, 7200, "How long an official account's access token lives."),
    Setting(
        "platform_webhook_timeout_seconds",
        float,
        5.0,
        "How long a webhook delivery waits for the publisher's answer (a passive reply), per try; 3 tries.",
    ),
    Setting(
        "push_vapid_key_file",
        str,
        "",
        "The server's VAPID private key (PEM) for Web Push; empty: `vapid-private.pem` in the data directory,"
        " made on first start. Every node of a deployment must use the same key (docs/push.md).",
    ),
    Setting(
        "push_contact",
        str,
        "mailto:postmaster@localhost",
        "Who runs this server, told to push services with each push (VAPID `sub`): a `mailto:` or `https:` URL.",
    ),
    Setting(
        "push_allow_insecure_endpoints",
        bool,
        False,
        "Allow push subscriptions whose endpoint is `http://` on a loopback address (a local push service,"
        " for tests); otherwise an endpoint is `https://` on port 443 and must resolve to a public address.",
    ),
    Setting(
        "push_coalesce_seconds",
        int,
        15,
        "At most one push per conversation per user in this many seconds (later messages wait for the open app).",
    ),
    Setting("push_timeout_seconds", float, 5.0, "How long one push waits for the push service's answer, per try."),
    Setting("sync_page_max", int, 500, "Most events returned by one sync page."),
    Setting("history_page_max", int, 200, "Most messages returned by one history page."),
    Setting("ws_auth_timeout_seconds", float, 10.0, "Time a new WebSocket has to send its `hello` frame."),
    Setting(
        "ws_heartbeat_seconds",
        float,
        20.0,
        "Interval of WebSocket pings; a peer that does not answer within one more interval is dropped.",
    ),
    Setting("ws_max_inflight", int, 64, "Sends one WebSocket may have awaiting acknowledgement."),
    Setting("write_batch_max", int, 256, "Most write jobs SQLite's single writer commits in one transaction."),
    Setting(
        "outbox_lease_seconds",
        int,
        60,
        "How long a node's claim on an outbox job (a webhook delivery, a batch of a mass send's fan-out)"
        " lasts, 1 to 3600: a job whose node died runs again this long after it was claimed, and a job"
        " still running at nine tenths of it counts as failed and is tried again. Keep it above 3 x"
        " `platform_webhook_timeout_seconds`, or a slow webhook's deliveries are cut short.",
        bounds=(1, 3600),
    ),
    Setting("password_time_cost", int, 3, "Argon2id time cost for password hashes."),
    Setting("password_memory_kib", int, 65536, "Argon2id memory cost for password hashes, in KiB."),
    Setting(
        "ws_max_queued_bytes",
        int,
        1024 * 1024,
        "Most bytes of replies (acks, errors, pongs) and pushed events one WebSocket may have waiting"
        " for a client that does not read; past it the socket is closed with 1013 and the client resumes.",
    ),
    Setting(
        "password_min_score",
        int,
        3,
        "Weakest password accepted, as a zxcvbn score from 0 (a top-10 password) to 4; 0 accepts any"
        " password of the minimum length.",
    ),
    Setting("password_hash_concurrency", int, 2, "Most password hashes computed at once per node (Argon2id)."),
    Setting(
        "sign_in_failures",
        str,
        "10/900",
        "Failed sign-ins per handle (COUNT/SECONDS) before it is paused; a device that signed in to the"
        " account before has a budget of its own and is not paused by others' failures.",
    ),
    Setting(
        "rate_sign_up_ip",
        str,
        "30/3600",
        "Sign-ups per client address: COUNT/SECONDS, a token bucket (COUNT at once, refilled over"
        " SECONDS); `off` turns a limit off. Every `rate_*` setting has this form.",
    ),
    Setting("rate_sign_in_ip", str, "60/300", "Sign-in attempts per client address."),
    Setting("rate_new_device_user", str, "20/3600", "Successful sign-ins (new devices) per account."),
    Setting("rate_friend_request_user", str, "200/3600", "Friend requests sent per user."),
    Setting("rate_group_user", str, "20/600", "Groups created per user."),
    Setting("rate_send_user", str, "300/10", "Messages sent per user, over all their devices (REST and WebSocket)."),
    Setting("rate_send_device", str, "200/10", "Messages sent per device (REST and WebSocket)."),
    Setting("rate_media_user", str, "60/60", "Media uploads per user."),
    Setting("rate_moment_user", str, "30/3600", "Moments posts per user."),
    Setting("rate_moment_interaction_user", str, "300/600", "Likes and comments on Moments per user."),
    Setting(
        "rate_invite_user",
        str,
        "60/600",
        "Invite links (a person's or a group's) opened, used to ask someone to be friends or to join, per user.",
    ),
    Setting("rate_platform_token", str, "20/60", "Access tokens an official account may fetch (`/cgi-bin/token`)."),
    Setting("rate_platform_app", str, "600/60", "Calls to `/cgi-bin/` per official account."),
    Setting(
        "rate_platform_template_follower",
        str,
        "10/86400",
        "Template messages one official account may send one follower: 10 at once, then one more every"
        " 2.4 hours (10 a day on average).",
    ),
    Setting(
        "rate_limit_exempt",
        str,
        "",
        "Client addresses (comma-separated, CIDR allowed) the per-address limits do not apply to; empty: none"
        " (local tools that sign up many users, such as `kith bench`, set `127.0.0.0/8,::1`).",
    ),
    Setting(
        "trusted_proxies",
        str,
        "",
        "Addresses of reverse proxies whose `X-Forwarded-For` header names the client (comma-separated,"
        " CIDR allowed); empty: the peer's address is the client's.",
    ),
    Setting(
        "invite_key",
        str,
        "",
        "The secret invite links are derived from (64 hex digits); empty: kept in `invite.key` in the data"
        " directory, made on first start. Several nodes must share it (see docs/contacts.md). It is never"
        " in the database, so a copy of the database yields no working link.",
    ),
    Setting("log_level", str, "info", "Log level: debug, info, warning, error.", flag=True),
    Setting(
        "log_format",
        str,
        "text",
        "Log format: `text` (readable lines) or `json` (one JSON object a line, and one line per HTTP request"
        " with its request id, route, status and duration; see docs/operations.md).",
        flag=True,
    ),
    Setting(
        "metrics_enabled",
        bool,
        True,
        "Serve Prometheus metrics at `/metrics` (aggregate counts only, no user ids; see docs/operations.md).",
    ),
    Setting(
        "metrics_token",
        str,
        "",
        "When set, `/metrics` answers only requests with `Authorization: Bearer <token>`; empty means open"
        " to whoever reaches the port (keep it off the public internet at the reverse proxy, or set a token).",
    ),
)

_BY_NAME = {s.name: s for s in TABLE}


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("kith-data")
    database: str = ""
    bus: str = "memory://"
    database_writers: int = 8
    database_batch_max: int = 32
    database_prepared_statements: bool = True
    registration_open: bool = True
    max_text_bytes: int = 16 * 1024
    max_body_bytes: int = 64 * 1024
    max_header_bytes: int = 32 * 1024
    max_headers: int = 100
    http_header_timeout_seconds: float = 10.0
    http_body_timeout_seconds: float = 30.0
    max_ws_frame_bytes: int = 64 * 1024
    max_group_members: int = 500
    max_friends: int = 5000
    recall_window_seconds: int = 120
    media_image_max_bytes: int = 20 * 1024 * 1024
    media_image_max_pixels: int = 40_000_000
    media_voice_max_bytes: int = 2 * 1024 * 1024
    media_voice_max_seconds: int = 60
    media_file_max_bytes: int = 100 * 1024 * 1024
    media_video_max_bytes: int = 50 * 1024 * 1024
    media_video_max_seconds: int = 300
    media_quota_bytes: int = 2 * 1024 * 1024 * 1024
    media_sweep_grace_seconds: int = 86400
    media_uploads_at_once: int = 4
    media_process_concurrency: int = 2
    platform_allow_private_webhooks: bool = False
    platform_token_ttl_seconds: int = 7200
    platform_webhook_timeout_seconds: float = 5.0
    push_vapid_key_file: str = ""
    push_contact: str = "mailto:postmaster@localhost"
    push_allow_insecure_endpoints: bool = False
    push_coalesce_seconds: int = 15
    push_timeout_seconds: float = 5.0
    sync_page_max: int = 500
    history_page_max: int = 200
    ws_auth_timeout_seconds: float = 10.0
    ws_heartbeat_seconds: float = 20.0
    ws_max_inflight: int = 64
    write_batch_max: int = 256
    outbox_lease_seconds: int = 60
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    ws_max_queued_bytes: int = 1024 * 1024
    password_min_score: int = 3
    password_hash_concurrency: int = 2
    sign_in_failures: str = "10/900"
    rate_sign_up_ip: str = "30/3600"
    rate_sign_in_ip: str = "60/300"
    rate_new_device_user: str = "20/3600"
    rate_friend_request_user: str = "200/3600"
    rate_group_user: str = "20/600"
    rate_send_user: str = "300/10"
    rate_send_device: str = "200/10"
    rate_media_user: str = "60/60"
    rate_moment_user: str = "30/3600"
    rate_moment_interaction_user: str = "300/600"
    rate_invite_user: str = "60/600"
    rate_platform_token: str = "20/60"
    rate_platform_app: str = "600/60"
    rate_platform_template_follower: str = "10/86400"
    rate_limit_exempt: str = ""
    trusted_proxies: str = ""
    invite_key: str = ""
    log_level: str = "info"
    log_format: str = "text"
    metrics_enabled: bool = True
    metrics_token: str = ""

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{(self.data_dir / 'kith.db').resolve()}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: _coerce(_BY_NAME[k], v) for k, v in changes.items()})


def _coerce(setting: Setting, value: Any) -> Any:
    if setting.type is bool and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{setting.name}: expected a boolean, got {value!r}")
    if setting.type is bool:
        return bool(value)
    try:
        coerced = setting.type(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{setting.name}: expected {setting.type.__name__}, got {value!r}") from exc
    if setting.bounds is not None and not setting.bounds[0] <= coerced <= setting.bounds[1]:
        low, high = setting.bounds
        raise ValueError(f"{setting.name}: expected {low:g} to {high:g}, got {value!r}")
    return coerced


def env_name(setting: Setting) -> str:
    return "KITH_" + setting.name.upper()


def load(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build Settings from a TOML file, `KITH_*` variables and explicit overrides (e.g. CLI flags)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or (Path(environ["KITH_CONFIG"]) if environ.get("KITH_CONFIG") else None)
    if path is not None:
        with open(path, "rb") as fh:
            for key, value in tomllib.load(fh).items():
                if key not in _BY_NAME:
                    raise ValueError(f"{path}: unknown setting {key!r}")
                values[key] = value
    for setting in TABLE:
        if env_name(setting) in environ:
            values[setting.name] = environ[env_name(setting)]
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    return Settings().replace(**values)


def markdown_table() -> str:
    """The settings reference, as docs/settings.md shows it."""
    lines = ["| setting | environment | flag | default | meaning |", "|---|---|---|---|---|"]
    for s in TABLE:
        flag = "`--" + s.name.replace("_", "-") + "`" if s.flag else ""
        default = f"`{s.default}`" if s.default != "" else "(empty)"
        lines.append(f"| `{s.name}` | `{env_name(s)}` | {flag} | {default} | {s.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
