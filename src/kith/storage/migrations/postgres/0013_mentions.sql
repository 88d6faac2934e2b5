-- @mentions in groups (docs/sync.md): the members a message names, shown with it, and a row for each
-- one named, so that "you were mentioned" (since one's read position) is a lookup by the key.
-- a JSON array of user ids; NULL when the message names nobody
ALTER TABLE messages ADD COLUMN mentions TEXT;
CREATE TABLE mentions (
    user_id BIGINT NOT NULL REFERENCES users (id),
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    seq BIGINT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages (id),
    PRIMARY KEY (user_id, conversation_id, seq)
);
CREATE INDEX mentions_by_message ON mentions (message_id);
