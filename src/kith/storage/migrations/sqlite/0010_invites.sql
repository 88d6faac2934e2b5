-- Invite links (docs/contacts.md): a person's own link, and a group's links with an expiry.
-- A token is never stored: only its SHA-256 (to find it) and the nonce it is derived from with a key
-- kept outside the database (kith/invitekey.py), so a copy of the database opens nothing.

-- one link per person; rotating it replaces the row
CREATE TABLE invite_links (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    token_hash BLOB NOT NULL UNIQUE,
    nonce BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- a group's links; a revoked or used-up link is deleted, an expired one is left to the next sweep
CREATE TABLE group_links (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    created_by INTEGER NOT NULL REFERENCES users (id),
    token_hash BLOB NOT NULL UNIQUE,
    nonce BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    -- NULL: any number of people may join by it until it expires
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX group_links_by_conversation ON group_links (conversation_id, id);
CREATE INDEX group_links_by_creator ON group_links (created_by);
