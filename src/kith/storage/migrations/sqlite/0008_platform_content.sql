-- What official accounts publish beyond single messages (docs/platform.md).

-- Permanent material (/cgi-bin/material/add_material): an owner's upload the account keeps until it
-- deletes it; a temporary upload (/cgi-bin/media/upload) is swept once nothing refers to it.
CREATE TABLE account_material (
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    media_id TEXT NOT NULL REFERENCES media (id),
    kind TEXT NOT NULL,
    -- a video's title and introduction
    title TEXT NOT NULL DEFAULT '',
    introduction TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, media_id)
);
CREATE INDEX account_material_by_kind ON account_material (account_id, kind, created_at);

-- Articles (mpnews) for mass sends and customer-service messages: /cgi-bin/media/uploadnews
-- (temporary), material/add_news and draft/add (permanent). media_id is what the API answers
-- (random, never enumerable); the row id is what the cover images' media_refs point at.
CREATE TABLE account_news (
    id INTEGER PRIMARY KEY,
    media_id TEXT NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    -- a JSON list: title, author, digest, content (sanitized HTML), content_source_url, thumb_media_id
    articles TEXT NOT NULL,
    permanent INTEGER NOT NULL DEFAULT 0,
    -- set by message/mass/delete or material/del_material: the articles can no longer be read
    deleted_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX account_news_by_account ON account_news (account_id, id);

-- The templates an account took from kith's library (/cgi-bin/template/api_add_template).
CREATE TABLE account_templates (
    account_id INTEGER NOT NULL REFERENCES official_accounts (id),
    template_id TEXT NOT NULL,
    short_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, template_id)
);

-- template/api_set_industry: the account's two industries (JSON), which limit the library it sees
ALTER TABLE official_accounts ADD COLUMN industry TEXT NOT NULL DEFAULT '';
-- message/mass/delete: when its articles were withdrawn
ALTER TABLE mass_sends ADD COLUMN deleted_at INTEGER;
