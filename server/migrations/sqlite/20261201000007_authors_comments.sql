-- Posts get their author (NULL for posts written before accounts, and when the account is
-- gone); comments belong to a post and to their author.
ALTER TABLE posts ADD COLUMN author_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX posts_author ON posts (author_id);

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id     INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body        TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    created_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX comments_post ON comments (post_id, id);
CREATE INDEX comments_author ON comments (author_id);
