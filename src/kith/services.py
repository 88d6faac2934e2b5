"""build_services(): the one place that makes the domain services, for the app, the CLI and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kith.accounts.deletion import FINISH as DELETION_FINISH
from kith.accounts.deletion import AccountDeletion
from kith.accounts.export import Exports
from kith.accounts.passwords import Passwords
from kith.accounts.service import AccountService
from kith.bus.base import Bus
from kith.chats import access as chats_access
from kith.chats.models import ChatLimits
from kith.chats.service import SEARCH_BACKFILL, ChatService
from kith.clock import Clock
from kith.contacts.service import ContactService
from kith.events import Writer
from kith.events.outbox import OutboxLimits, OutboxWorker
from kith.invitekey import InviteKey
from kith.media.access import SWEEP as MEDIA_SWEEP
from kith.media.blobs import LocalBlobs
from kith.media.models import MediaLimits
from kith.media.service import THUMBNAIL, MediaService
from kith.moments.models import MomentLimits
from kith.moments.service import FANOUT as MOMENTS_FANOUT
from kith.moments.service import MomentService
from kith.platform.access import DELIVER as WEBHOOK_DELIVERY
from kith.platform.models import PlatformLimits
from kith.platform.service import MASS as MASS_FANOUT
from kith.platform.service import PlatformService
from kith.push.models import PUSH, PushLimits
from kith.push.service import PushService
from kith.ratelimit import Limits, Rate, from_settings
from kith.settings import Settings
from kith.storage.database import Database
from kith.sync.service import SyncService

VAPID_FILE = "vapid-private.pem"  # in the data directory, unless push_vapid_key_file names another


@dataclass(frozen=True)
class Services:
    """The domain services, handed to the route handlers and the WebSocket gateway."""

    accounts: AccountService
    contacts: ContactService
    chats: ChatService
    media: MediaService
    platform: PlatformService
    moments: MomentService
    push: PushService
    sync: SyncService
    outbox: OutboxWorker  # started by the app's lifespan; domains register their topics' handlers
    deletion: AccountDeletion
    exports: Exports
    limits: Limits


def build_services(settings: Settings, db: Database, bus: Bus, clock: Clock) -> Services:
    outbox = OutboxWorker(db, clock, handlers={}, limits=OutboxLimits(lease_ms=settings.outbox_lease_seconds * 1000))
    writer = Writer(db, bus, clock, on_outbox=outbox.kick)
    passwords = Passwords(
        settings.password_time_cost,
        settings.password_memory_kib,
        settings.password_hash_concurrency,
        settings.password_min_score,
    )
    limits = from_settings(settings, clock)
    failures = Rate.parse(settings.sign_in_failures, "sign_in_failures")
    accounts = AccountService(db, writer, passwords, clock, settings.registration_open, limits, failures)
    key = InviteKey.load(settings.invite_key, settings.data_dir)
    contacts = ContactService(db, writer, settings.max_friends, limits, key)
    caps = ChatLimits(
        max_text_bytes=settings.max_text_bytes,
        max_members=settings.max_group_members,
        recall_window_ms=settings.recall_window_seconds * 1000,
        history_page_max=settings.history_page_max,
    )
    chats = ChatService(db, writer, clock, caps, limits, key)
    outbox.register(SEARCH_BACKFILL, chats.on_search_backfill)
    media_caps = MediaLimits(
        image_max_bytes=settings.media_image_max_bytes,
        image_max_pixels=settings.media_image_max_pixels,
        voice_max_bytes=settings.media_voice_max_bytes,
        voice_max_ms=settings.media_voice_max_seconds * 1000,
        file_max_bytes=settings.media_file_max_bytes,
        video_max_bytes=settings.media_video_max_bytes,
        video_max_ms=settings.media_video_max_seconds * 1000,
        quota_bytes=settings.media_quota_bytes,
        sweep_grace_ms=settings.media_sweep_grace_seconds * 1000,
        process_concurrency=settings.media_process_concurrency,
        uploads_at_once=settings.media_uploads_at_once,
    )
    media = MediaService(db, writer, LocalBlobs(settings.data_dir / "media"), clock, media_caps, limits)
    outbox.register(THUMBNAIL, media.on_thumbnail)
    outbox.register(MEDIA_SWEEP, media.on_sweep)
    platform_caps = PlatformLimits(
        allow_private_webhooks=settings.platform_allow_private_webhooks,
        token_ttl_ms=settings.platform_token_ttl_seconds * 1000,
        webhook_timeout_s=settings.platform_webhook_timeout_seconds,
    )
    platform = PlatformService(db, writer, clock, platform_caps, limits, settings.max_text_bytes, media)
    outbox.register(WEBHOOK_DELIVERY, platform.on_deliver)
    outbox.register(MASS_FANOUT, platform.on_mass)
    moments = MomentService(db, writer, clock, MomentLimits(), limits, settings.max_friends)
    outbox.register(MOMENTS_FANOUT, moments.on_fanout)
    push_caps = PushLimits(
        contact=settings.push_contact,
        allow_insecure=settings.push_allow_insecure_endpoints,
        coalesce_ms=settings.push_coalesce_seconds * 1000,
        timeout_s=settings.push_timeout_seconds,
    )
    key_file = Path(settings.push_vapid_key_file) if settings.push_vapid_key_file else settings.data_dir / VAPID_FILE
    push = PushService(db, writer, bus, clock, push_caps, key_file)
    outbox.register(PUSH, push.on_push)
    deletion = AccountDeletion(db, writer, accounts)
    outbox.register(DELETION_FINISH, deletion.on_finish)
    return Services(
        accounts=accounts,
        contacts=contacts,
        chats=chats,
        media=media,
        platform=platform,
        moments=moments,
        push=push,
        sync=SyncService(db, settings.sync_page_max, {"message": chats_access.render_messages}),
        outbox=outbox,
        deletion=deletion,
        exports=Exports(accounts, contacts, chats, media, moments, clock, page=settings.history_page_max),
        limits=limits,
    )
