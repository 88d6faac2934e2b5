-- Which log entries refer to an object: asked when an account is deleted (its messages that no log
-- refers to any more go), so that the question reads an index instead of every user's log.
CREATE INDEX events_by_ref ON events (ref_kind, ref_id) WHERE ref_kind IS NOT NULL;
