-- @mentions in groups (docs/sync.md): the members a message names, shown with it, and a row for each
-- one named, so that "you were mentioned" (since one's read position) is a lookup by the key.
-- a JSON array of user ids; NULL when the message names nobody
ALTER TABLE messages ADD COLUMN mentions TEXT;
CREATE TABLE mentions (
    user_id INTEGER NOT NULL REFERENCES users (id),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    seq INTEGER NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages (id),
    PRIMARY KEY (user_id, conversation_id, seq)
) WITHOUT ROWID;
CREATE INDEX mentions_by_message ON mentions (message_id);
