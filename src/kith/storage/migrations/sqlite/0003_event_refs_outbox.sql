-- The event log knows no domain: an event either carries its payload or refers to an object of
-- some kind (ref_kind, ref_id) that the domain owning that kind renders when the log is read.
CREATE TABLE events_new (
    user_id INTEGER NOT NULL REFERENCES users (id),
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    ref_kind TEXT,
    ref_id INTEGER,
    payload TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
INSERT INTO events_new (user_id, seq, type, ref_kind, ref_id, payload, created_at)
    SELECT user_id, seq, type, CASE WHEN message_id IS NULL THEN NULL ELSE 'message' END, message_id, payload, created_at
    FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;

-- Work to do after a change commits (webhook deliveries, thumbnails, fan-out): written in the
-- change's own transaction, drained by a background worker, retried with backoff, kept until done.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- not before this time (ms); a claimed job is pushed past its lease, so a crashed node's job comes back
    run_after INTEGER NOT NULL,
    last_error TEXT,
    -- set once a job has used up its tries: kept for the operator, never run again
    failed_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (run_after) WHERE failed_at IS NULL;
