-- Accounts. Times are milliseconds since the Unix epoch.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    last_event_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    token_hash BLOB NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX devices_by_user ON devices (user_id);

-- Contacts. A friendship is two rows, one per side, each with that side's private remark.
CREATE TABLE friendships (
    user_id INTEGER NOT NULL REFERENCES users (id),
    friend_id INTEGER NOT NULL REFERENCES users (id),
    remark TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, friend_id)
) WITHOUT ROWID;

CREATE TABLE friend_requests (
    id INTEGER PRIMARY KEY,
    from_id INTEGER NOT NULL REFERENCES users (id),
    to_id INTEGER NOT NULL REFERENCES users (id),
    greeting TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    -- a request to someone who blocked the sender: the sender sees it pending, the recipient never sees it
    silenced INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX friend_requests_one_pending ON friend_requests (from_id, to_id) WHERE status = 'pending';
CREATE INDEX friend_requests_to ON friend_requests (to_id, status);

CREATE TABLE blocks (
    user_id INTEGER NOT NULL REFERENCES users (id),
    blocked_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
) WITHOUT ROWID;

-- Chats.
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    owner_id INTEGER REFERENCES users (id),
    -- 'low:high' user ids of a direct conversation: at most one per pair
    direct_key TEXT UNIQUE,
    owner_only_adds INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE members (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    -- the member sees messages with seq > joined_seq only
    joined_seq INTEGER NOT NULL,
    read_seq INTEGER NOT NULL,
    muted INTEGER NOT NULL DEFAULT 0,
    pinned INTEGER NOT NULL DEFAULT 0,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members (user_id);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    seq INTEGER NOT NULL,
    sender_id INTEGER REFERENCES users (id),
    client_id TEXT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    reply_to_seq INTEGER,
    -- JSON snapshot of the quoted message, cleared when that message is recalled
    reply_preview TEXT,
    -- set when the recipient of a direct message has blocked its sender: only the sender sees it
    only_sender INTEGER NOT NULL DEFAULT 0,
    recalled_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_by_seq ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_by_client_id ON messages (sender_id, client_id);
CREATE INDEX messages_by_reply ON messages (conversation_id, reply_to_seq) WHERE reply_to_seq IS NOT NULL;

-- Sync: each user's gapless event log. Message events point at the message row (stored once).
CREATE TABLE events (
    user_id INTEGER NOT NULL REFERENCES users (id),
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    message_id INTEGER REFERENCES messages (id),
    payload TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
