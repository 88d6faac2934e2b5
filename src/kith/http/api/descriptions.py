"""What each field of the domain's values means, for the OpenAPI document.

The values the API answers with (a Message, a Conversation, a Post, ...) are the domains' own types
and say nothing of HTTP, so what their fields mean to a client is written here, one table per type;
``kith.http.openapi`` puts each line into the type's schema as the property's ``description``.
The fields of the types defined in ``kith.http.api`` (bodies, queries and the lists that wrap
answers) are described on their own annotations instead, and the shared field types in
``kith.http.api.fields``. tests/e2e/test_openapi_document.py checks that every property of every
schema has a description, and that this table names no field a type does not have.

All times are milliseconds since the Unix epoch; all sizes are bytes.
"""

from __future__ import annotations

from kith.accounts.models import Device, Session, User
from kith.chats.models import Ack, Article, Conversation, GroupCard, Location, Member, Message, Quote
from kith.contacts.models import Friend, FriendRequest, InviteCard, Relationship
from kith.media.models import Media, Usage
from kith.moments.models import Comment, Like, Page, Post, Settings
from kith.platform.models import AccountCard, ArticlePage, Articles, Console, Created, Delivery
from kith.push.models import PushKey, PushSettings, Subscription
from kith.sync.models import SyncPage

MS = "milliseconds since the Unix epoch"
MEDIA_ID = "a media id: fetch it at GET /api/v1/media/{id}, its thumbnail at …/thumbnail"

FIELDS: dict[type, dict[str, str]] = {
    # accounts
    User: {
        "id": "The user's id",
        "handle": "Their handle, unique: what others type to find them",
        "display_name": "The name they chose to be shown",
        "status": "Their status line (empty: none)",
        "deleted": "Present, and true, only for the tombstone of a deleted account (shown as “Deleted user”)",
        "avatar": f"Their picture, {MEDIA_ID}; absent when none",
    },
    Device: {
        "id": "The device's id (to sign it out: DELETE /api/v1/me/devices/{id})",
        "name": "The name given at sign-in",
        "created_at": f"When it signed in, {MS}",
        "last_seen_at": f"When it last made a request, {MS} (kept up to date to within a minute)",
        "current": "Whether this is the device asking",
    },
    Session: {
        "token": "The bearer token for this device: send it as `Authorization: Bearer <token>`. Shown this once; "
        "only its hash is stored",
        "user": "You",
        "device": "The device just signed in",
    },
    Usage: {
        "used_bytes": "Bytes of your uploads the server keeps",
        "quota_bytes": "The most your uploads may take, in bytes (0: no quota)",
    },
    # contacts
    Relationship: {
        "user": "The person found",
        "is_friend": "Whether you are friends",
        "is_self": "Whether it is you",
        "outgoing_request_id": "The id of your pending friend request to them (null: none)",
        "incoming_request_id": "The id of their pending friend request to you (null: none)",
        "blocked": "Whether you have blocked them",
    },
    Friend: {
        "user": "Your friend's profile",
        "remark": "Your private name for them, seen by you alone (empty: none)",
        "since": f"When you became friends, {MS}",
        "blocked": "Whether you have blocked them (a block keeps the friendship, and they are not told)",
    },
    FriendRequest: {
        "id": "The request's id",
        "from_user": "Who asked",
        "to_user": "Who was asked",
        "greeting": "The line sent with it (empty: none)",
        "status": "`pending`, `accepted`, `declined` or `cancelled` (withdrawn by the one who asked)",
        "created_at": f"When it was sent, {MS}",
        "updated_at": f"When its status last changed, {MS}",
    },
    InviteCard: {
        "display_name": "The inviter's display name (never their handle)",
        "avatar": f"The inviter's picture, {MEDIA_ID}; null when none",
        "is_self": "Present, and true, when it is your own link",
        "is_friend": "Present, and true, when you are friends already",
        "requested": "Present, and true, when you have asked them already (pending)",
        "user_id": "The inviter's id: only to a friend, or to the inviter, who know it already",
    },
    # chats
    Conversation: {
        "id": "The conversation's id",
        "kind": "`direct` (you and one friend), `group`, or `official` (you and an official account)",
        "name": "A group's name, or the official account's (empty for a direct conversation and a group without one)",
        "owner_id": "A group's owner (null for other kinds)",
        "owner_only_adds": "Whether only the owner may add members to the group",
        "member_count": "How many members it has",
        "last_seq": "The seq of the last message you may see in it (0: none yet)",
        "last_activity_at": f"When the last message you may see was sent (or the conversation began), {MS}",
        "read_seq": "Your read position: the seq of the last message you have read (your own devices only see it)",
        "unread": "Messages from others after your read position, not recalled, not system notices (at most 999)",
        "muted": "Whether you muted it (for you only)",
        "pinned": "Whether you pinned it to the top of your list (for you only)",
        "peer": "The other person of a direct conversation",
        "remark": "Your remark for that person (empty: none)",
        "last_message": "The last message you may see in it",
        "avatar": f"A group's picture, {MEDIA_ID}",
        "account": "The official account of an `official` conversation",
        "mentioned": "Whether a message after your read position names you (@): until you have read it",
        "last_sender": "In a group, the sender of `last_message` when it is someone else (perhaps not your friend): "
        "whom a chat list names; null otherwise",
    },
    Message: {
        "id": "The message's id, unique on the server",
        "conversation_id": "The conversation it was sent in",
        "seq": "Its number in the conversation: every member sees the same order, with no gaps",
        "sender_id": "Who sent it; null for a system notice and for an official account's message",
        "client_id": "The sender's idempotency key (the `id` it was sent with); null when it has none",
        "kind": "`text`, `image`, `voice`, `video`, `file`, `location`, `news` (an official account's cards) or "
        "`system` (a change to the conversation, described in `system`)",
        "text": "The text of a text message (empty for other kinds, and once recalled)",
        "created_at": f"When the server stored it, {MS}",
        "recalled": "Whether its sender recalled it: its text and media are gone",
        "reply_to": "The message it answers, quoted",
        "system": "What changed, for a `system` notice: `action` (`created`, `members_added`, `member_removed`, "
        "`member_left`, `joined_by_link`, `renamed`, `owner_changed`, `settings_changed`, `avatar_changed`), `actor`, "
        "and what applies of `users`, `name`, `owner`, `inviter` (who made the link), `owner_only_adds` and `avatar`",
        "media": "The upload of an image, voice, video or file message (null once recalled)",
        "articles": "The cards of a `news` message",
        "location": "The place of a `location` message",
        "mentions": "The members of the group a text names (@), by user id; null when none, and once recalled",
    },
    Quote: {
        "seq": "The quoted message's seq",
        "sender_id": "Who sent it (null: an official account, or unknown)",
        "text": "Its first 200 characters (empty for an image, voice note, video or file; null once it is recalled)",
        "kind": "Its kind, when it is not text (absent for text)",
    },
    Location: {
        "latitude": "Degrees north of the equator (south: negative)",
        "longitude": "Degrees east of Greenwich (west: negative)",
        "label": "What the place is called (empty: no name given)",
        "scale": "How closely to show it on a map: a zoom level from 1 (the world) to 20 (a building)",
    },
    Article: {
        "title": "The card's title",
        "description": "A line under the title",
        "url": "Where the card links, when it does not open the account's articles in kith (empty otherwise)",
        "picurl": "The picture the account named, never loaded by kith (empty: none)",
        "picture": f"The card's picture as kith serves it, {MEDIA_ID} (empty: none)",
        "page": "For a card of the account's articles: `<media id>/<index>`, read at GET /api/v1/articles/{media id} "
        "(empty otherwise)",
    },
    GroupCard: {
        "name": "The group's name (empty: none)",
        "member_count": "How many members it has",
        "avatar": "Present when the group has a picture: fetch it with POST /api/v1/group-links/picture {token}",
        "is_member": "Present, and true, when you are in the group already",
        "conversation_id": "The group's id: only to a member, who knows it already",
    },
    Member: {
        "user": "The member's profile",
        "role": "`owner` or `member`",
        "joined_at": f"When they joined, {MS}",
    },
    Ack: {
        "message": "The message as stored",
        "duplicate": "true for a resend of an id already used: nothing new was stored",
    },
    # media
    Media: {
        "id": "The media id, 22 URL-safe characters (128 random bits): how a message, a post or an avatar refers to "
        "the file",
        "kind": "`image`, `voice`, `video` or `file`",
        "mime": "The file's type, as the server found it (e.g. `image/jpeg`)",
        "size": "The file's size in bytes, as stored (an image is re-encoded, a video remuxed)",
        "name": "The file's name, as the uploader gave it (empty: none)",
        "width": "An image's or a video's width in pixels, as shown (null for other kinds)",
        "height": "An image's or a video's height in pixels, as shown (null for other kinds)",
        "duration_ms": "A voice note's or a video's length in milliseconds (null for other kinds)",
        "created_at": f"When it was uploaded, {MS}",
    },
    # moments
    Post: {
        "id": "The post's id",
        "author": "Who posted it",
        "text": "Its text (empty: none)",
        "images": "Its pictures, media ids in the order to show them",
        "place": "Where it was posted, in the author's words (empty: none)",
        "created_at": f"When it was posted, {MS}",
        "likes": "The likes you may see (yours, the author's, your friends'), oldest first",
        "comments": "The comments you may see (yours, the author's, your friends'), oldest first",
        "liked": "Whether you liked it",
        "audience": "Who may see it (`friends`, `only`, `except` or `me`); shown to its author only",
        "audience_ids": "The friends an `only` or `except` audience names; shown to its author only",
    },
    Like: {
        "user": "Who liked it",
        "created_at": f"When, {MS}",
    },
    Comment: {
        "id": "The comment's id",
        "user": "Who wrote it",
        "text": "Its text",
        "created_at": f"When it was written, {MS}",
        "reply_to": "Whom it answers, for a reply to a comment",
    },
    Page: {
        "posts": "Posts, newest first (a page may hold fewer than asked for and still have a `next`)",
        "next": "Pass as `before` for the older posts; absent at the end",
    },
    Settings: {
        "window_days": "How far back your friends may see your posts, in days: 0 (everything), 3, 30 or 180",
    },
    # official accounts
    AccountCard: {
        "id": "The account's id",
        "name": "Its name",
        "kind": "`subscription` or `service`",
        "description": "A line about it (empty: none)",
        "avatar": f"Its picture, {MEDIA_ID}",
        "following": "Whether you follow it",
        "menu": "Its custom menu's buttons, in WeChat's shape (`type` `click` with a `key`, `view` with a `url`, or "
        "`sub_button`s); null when it has none",
    },
    Console: {
        "id": "The account's id",
        "name": "Its name",
        "kind": "`subscription` or `service`",
        "description": "A line about it (empty: none)",
        "app_id": "Its AppID (`wx` and 16 hex digits): with the AppSecret, a bot gets an access token at "
        "/cgi-bin/token",
        "gh_id": "Its original id (`gh_` and 12 hex digits): the `ToUserName` of every delivery",
        "webhook_url": "Where followers' messages and events are delivered (empty: none)",
        "token": "The Token every delivery is signed with",
        "encoding_aes_key": "The EncodingAESKey deliveries are encrypted with (empty: none)",
        "mode": "`plain`, `compatible` or `safe`: how deliveries are sent",
        "followers": "How many people follow it",
        "created_at": f"When it was created, {MS}",
    },
    Created: {
        "account": "The account",
        "app_secret": "Its AppSecret (32 hex digits): shown this once, only its hash is stored. A new one replaces "
        "the old, which stops working at once",
    },
    Delivery: {
        "at": f"When it was made, {MS}",
        "event": "What was delivered: a message's type (`text`, `image`, …) or an event (`subscribe`, `CLICK`, …)",
        "status": "`delivered` (answered with a reply), `no_reply` (answered empty or `success`), `abnormal_reply` "
        "(answered with what is not a reply) or `failed` (no 2xx answer after the tries)",
        "latency_ms": "How long the webhook took to answer, in milliseconds (null: no answer)",
        "error": "What went wrong (empty: nothing)",
    },
    Articles: {
        "media_id": "The set's media id",
        "account": "The account whose articles they are",
        "articles": "The articles, in order",
        "created_at": f"When the account made the set, {MS}",
    },
    ArticlePage: {
        "title": "The article's title",
        "author": "Its author, as the account wrote it (empty: none)",
        "digest": "A line about it (empty: none)",
        "content": "The article as HTML, already cleaned to a few safe tags: show it as it is",
        "source_url": "The “read more” link (empty: none)",
        "picture": f"The cover, {MEDIA_ID}; null when it is not shown",
        "deleted": "true when the account withdrew it: its `content` is gone",
    },
    # push
    PushKey: {
        "public_key": "The server's VAPID public key, the uncompressed P-256 point in URL-safe base64: the "
        "`applicationServerKey` to give `pushManager.subscribe`",
    },
    Subscription: {
        "id": "The subscription's id",
        "device_id": "The device that takes the pushes (GET /api/v1/me/devices lists them)",
        "origin": "The push service's origin (the endpoint itself is a capability: never shown)",
        "created_at": f"When the device subscribed, {MS}",
    },
    PushSettings: {
        "previews": "Whether pushes show the sender's name and the message's text (false: only “New message”)",
        "subscribed": "Whether this device takes pushes (has a subscription)",
    },
    # sync
    SyncPage: {
        "events": "Your events after `since`, in order: each `{seq, type, at, data}` (docs/sync.md lists the types)",
        "next_since": "Pass as `since` to continue",
        "head": "The seq of your latest event when the page was read",
        "has_more": "Whether events follow this page (continue with `next_since`)",
    },
}
