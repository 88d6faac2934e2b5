-- Message search (docs/api.md, kith/chats/search.py): each text message's tokens, with a GIN index
-- of them as lexemes (array_to_tsvector takes the tokens as they are: no parser, no stemming).
CREATE TABLE message_tokens (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id),
    tokens TEXT NOT NULL
);
-- fastupdate off: no pending list to scan on every search (a send pays a little more to index at once)
CREATE INDEX message_tokens_search ON message_tokens USING GIN (array_to_tsvector(string_to_array(tokens, ' ')))
    WITH (fastupdate = off);
-- the messages from before this migration are indexed in the background, a batch at a time
INSERT INTO outbox (topic, payload, run_after, created_at)
    SELECT 'chats.search_backfill', '{"after":0,"until":' || MAX(id) || '}', 0, 0 FROM messages HAVING COUNT(*) > 0;
