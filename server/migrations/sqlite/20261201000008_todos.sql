-- Each user's own todos. A title appears once per list.
CREATE TABLE todos (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    done        INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    created_at  TEXT    NOT NULL,
    UNIQUE (owner_id, title)
) STRICT;
CREATE INDEX todos_owner ON todos (owner_id, id);
