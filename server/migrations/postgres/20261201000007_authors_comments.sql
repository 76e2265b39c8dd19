-- Posts get their author (NULL for posts written before accounts, and when the account is
-- gone); comments belong to a post and to their author.
ALTER TABLE posts ADD COLUMN author_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX posts_author ON posts (author_id);

CREATE TABLE comments (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id     BIGINT      NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id   BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body        TEXT        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX comments_post ON comments (post_id, id);
CREATE INDEX comments_author ON comments (author_id);
