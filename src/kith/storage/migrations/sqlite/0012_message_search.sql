-- Message search (docs/api.md, kith/chats/search.py): each text message's tokens, and an FTS5 index
-- of them kept in step by triggers (so a copy of message_tokens, as kith transfer makes, is indexed).
CREATE TABLE message_tokens (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id),
    tokens TEXT NOT NULL
);
CREATE VIRTUAL TABLE message_search USING fts5 (
    tokens, content = 'message_tokens', content_rowid = 'message_id', tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER message_tokens_added AFTER INSERT ON message_tokens BEGIN
    INSERT INTO message_search (rowid, tokens) VALUES (new.message_id, new.tokens); END;
CREATE TRIGGER message_tokens_removed AFTER DELETE ON message_tokens BEGIN
    INSERT INTO message_search (message_search, rowid, tokens) VALUES ('delete', old.message_id, old.tokens); END;
-- the messages from before this migration are indexed in the background, a batch at a time
INSERT INTO outbox (topic, payload, run_after, created_at)
    SELECT 'chats.search_backfill', '{"after":0,"until":' || MAX(id) || '}', 0, 0 FROM messages HAVING COUNT(*) > 0;
