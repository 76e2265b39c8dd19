-- Posts. Ids grow with every insert, so `ORDER BY id DESC` is newest first.
CREATE TABLE posts (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        TEXT        NOT NULL UNIQUE CHECK (char_length(slug) BETWEEN 1 AND 100),
    title       TEXT        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    content     TEXT        NOT NULL CHECK (char_length(content) BETWEEN 1 AND 10000),
    created_at  TIMESTAMPTZ NOT NULL
);
