-- Each user's event-log counter moves to its own table. The event log locks these rows (in
-- ascending user id, at the end of each job); nothing else does, so a change to a user's own row
-- (a new status line, a new password) can never deadlock with the log.
CREATE TABLE event_heads (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    last_seq BIGINT NOT NULL
);
INSERT INTO event_heads (user_id, last_seq) SELECT id, last_event_seq FROM users;
ALTER TABLE users DROP COLUMN last_event_seq;
