-- Official accounts (docs/platform.md): publishers users choose to follow.
CREATE TABLE official_accounts (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- the name as compared: one account per name, whatever its case
    name_key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    avatar_id TEXT,
    app_id TEXT NOT NULL UNIQUE,
    gh_id TEXT NOT NULL UNIQUE,
    -- sha-256 of the AppSecret (shown once, never stored)
    secret_hash TEXT NOT NULL,
    -- the key each follower's openid is derived from (HMAC of the user id): stable, per account
    openid_key TEXT NOT NULL,
    webhook_url TEXT NOT NULL DEFAULT '',
    token TEXT NOT NULL DEFAULT '',
    aes_key TEXT NOT NULL DEFAULT '',
    mode TEXT NOT NULL DEFAULT 'plain',
    menu TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX official_accounts_by_owner ON official_accounts (owner_id);

CREATE TABLE follows (
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    openid TEXT NOT NULL,
    followed_at INTEGER NOT NULL,
    -- the customer-service window: what opened it (a message: 5 sends in 48 h; a menu click or a
    -- follow: 3 in a minute), when, and how many of its sends are used
    window_kind TEXT,
    window_opened_at INTEGER,
    window_used INTEGER NOT NULL DEFAULT 0,
    -- mass messages received this month (YYYYMM): a service account reaches a follower 4 times a month
    mass_month INTEGER NOT NULL DEFAULT 0,
    mass_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, user_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX follows_by_openid ON follows (account_id, openid);
CREATE INDEX follows_by_user ON follows (user_id);

-- The conversation between an account and one user (kind 'official'), kept across unfollows.
ALTER TABLE conversations ADD COLUMN account_id INTEGER REFERENCES official_accounts (id);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX access_tokens_by_account ON access_tokens (account_id, expires_at);

-- The last webhook deliveries of each account, for its owner's console.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    latency_ms INTEGER,
    error TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_by_account ON webhook_deliveries (account_id, id);

-- The passive replies delivered, by the MsgId they answered: a retried delivery never delivers twice.
CREATE TABLE webhook_replies (
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    msg_id INTEGER NOT NULL,
    PRIMARY KEY (account_id, msg_id)
) WITHOUT ROWID;

-- Mass sends: one row per send (its id is the MsgId the API answers), fanned out to the followers by
-- outbox jobs, a batch at a time, off the request path.
CREATE TABLE mass_sends (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    -- the openids it goes to (a JSON list), or NULL for every follower (or those with tag_id)
    openids TEXT,
    tag_id INTEGER,
    -- the day it was sent (days since 1970-01-01, UTC): a subscription account sends once a day
    day INTEGER NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0,
    filtered INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX mass_sends_by_day ON mass_sends (account_id, day);

-- QR code tickets (/cgi-bin/qrcode/create): scanning one follows the account, and its webhook hears
-- the scene. A temporary ticket expires; a permanent one does not.
CREATE TABLE qr_tickets (
    ticket TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    scene TEXT NOT NULL,
    expires_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX qr_tickets_by_account ON qr_tickets (account_id);

-- An account's tags for its followers (/cgi-bin/tags/): ids from 100 up, per account.
CREATE TABLE account_tags (
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE TABLE follower_tags (
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    tag_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (account_id, tag_id, user_id)
);
CREATE INDEX follower_tags_by_user ON follower_tags (account_id, user_id);
