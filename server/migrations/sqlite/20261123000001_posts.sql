-- Posts. Ids grow with every insert, so `ORDER BY id DESC` is newest first.
CREATE TABLE posts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT    NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 100),
    title       TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    content     TEXT    NOT NULL CHECK (length(content) BETWEEN 1 AND 10000),
    created_at  TEXT    NOT NULL
) STRICT;
