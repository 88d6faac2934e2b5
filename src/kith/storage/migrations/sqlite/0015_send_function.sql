-- PostgreSQL's migration of this number adds a server-side function for sending a text message in
-- one round trip; SQLite runs in the server's own process and has no round trips to save.
SELECT 1;
