-- PostgreSQL's migration of this number tunes its search index; SQLite's full-text index is its own.
SELECT 1;
