-- Sign-in keys: a random key a client keeps and shows when it signs in, stored only as a SHA-256
-- digest once it has signed in to the account; a known key is not paused by strangers' failures.
CREATE TABLE sign_in_keys (
    user_id INTEGER NOT NULL REFERENCES users (id),
    key_hash BLOB NOT NULL,
    last_used_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key_hash)
);
