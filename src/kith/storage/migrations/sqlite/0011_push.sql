-- Web Push (docs/push.md): each device's push subscription, each user's choice of previews, and
-- when a conversation last pushed to a user (at most one push per conversation in a short window).

-- one subscription per device and per endpoint (a browser that signs in to another account takes
-- its endpoint along); deleted with the device, and when the push service says it is gone
CREATE TABLE push_subscriptions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    device_id INTEGER NOT NULL UNIQUE REFERENCES devices (id),
    endpoint TEXT NOT NULL UNIQUE,
    -- the browser's P-256 public key and auth secret, URL-safe base64 as it gave them
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);

CREATE TABLE push_settings (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    -- 1: a push may carry the sender's name and the message's text; 0 (the default): only "New message"
    previews INTEGER NOT NULL DEFAULT 0
);

-- conversation 0 stands for friend requests
CREATE TABLE push_coalesce (
    user_id INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    pushed_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);
