-- Moments (docs/moments.md): posts, who they are for, likes, comments, and each reader's timeline.

CREATE TABLE moment_posts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES users (id),
    -- the author's idempotency key: posting the same one again returns the first post
    client_id TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL DEFAULT '',
    -- a JSON list of the images' media ids, in order
    images TEXT NOT NULL DEFAULT '[]',
    -- friends | only | except | me
    audience TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (author_id, client_id)
);
CREATE INDEX moment_posts_by_author ON moment_posts (author_id, id);

-- the friends an 'only' or 'except' audience names
CREATE TABLE moment_audience (
    post_id INTEGER NOT NULL REFERENCES moment_posts (id),
    user_id INTEGER NOT NULL,
    PRIMARY KEY (post_id, user_id)
);

-- fan-out on write: a row per reader a post was written out to (its author included), so a page of
-- a timeline is one range read of the reader's rows, however many friends they have
CREATE TABLE moment_timeline (
    user_id INTEGER NOT NULL,
    post_id INTEGER NOT NULL REFERENCES moment_posts (id),
    author_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, post_id)
);
CREATE INDEX moment_timeline_by_post ON moment_timeline (post_id);

CREATE TABLE moment_likes (
    post_id INTEGER NOT NULL REFERENCES moment_posts (id),
    user_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX moment_likes_by_user ON moment_likes (user_id);

CREATE TABLE moment_comments (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES moment_posts (id),
    author_id INTEGER NOT NULL,
    -- a reply names the comment it answers and that comment's author (kept if the comment goes)
    reply_to_id INTEGER,
    reply_to_user_id INTEGER,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX moment_comments_by_post ON moment_comments (post_id, id);
CREATE INDEX moment_comments_by_author ON moment_comments (author_id);

-- how far back friends may see one's posts: 0 for everything, else days (3, 30, 180)
CREATE TABLE moment_settings (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    window_days INTEGER NOT NULL DEFAULT 0
);
