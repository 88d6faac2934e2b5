-- The search index takes new messages into a short pending list, merged into the index a batch at a
-- time once it reaches 256 kB, instead of inserting every token of every message into the index as
-- it is sent (most of a send's time in the database). A search reads that short list as well.
ALTER INDEX message_tokens_search SET (fastupdate = on, gin_pending_list_limit = 256);
