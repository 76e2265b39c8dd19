-- The guide's one table; formwork's (flashes, sessions, jobs, …) come with formwork.
CREATE TABLE notes (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    text     TEXT    NOT NULL,
    starred  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- One counter, for the revalidate_path example.
CREATE TABLE counter (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  INTEGER NOT NULL
) STRICT;
INSERT INTO counter (id, value) VALUES (1, 0);
