-- Media: uploads, by a random id; the bytes live in content-addressed files (docs/media.md).
-- One file per sha-256, however many uploads carried it; `uses` counts the media rows (and their
-- thumbnails) that name it, and the file is unlinked in the transaction that takes it to zero.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    uses INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE media (
    id TEXT PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    name TEXT NOT NULL DEFAULT '',
    width INTEGER,
    height INTEGER,
    duration_ms INTEGER,
    thumb_sha256 TEXT REFERENCES blobs (sha256),
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX media_by_owner ON media (owner_id);

-- What refers to a media file: a message (ref_id = message id), a user's avatar (user id), a group's
-- avatar (conversation id), a Moments post. Who may fetch a file follows from these rows.
CREATE TABLE media_refs (
    media_id TEXT NOT NULL REFERENCES media (id),
    ref_kind TEXT NOT NULL,
    ref_id INTEGER NOT NULL,
    PRIMARY KEY (media_id, ref_kind, ref_id)
) WITHOUT ROWID;
CREATE INDEX media_refs_by_ref ON media_refs (ref_kind, ref_id);

ALTER TABLE users ADD COLUMN avatar_id TEXT;
ALTER TABLE conversations ADD COLUMN avatar_id TEXT;
