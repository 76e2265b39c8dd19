-- The app's own table; formwork's (flashes, sessions, jobs, …) come with formwork.
CREATE TABLE names (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    name  TEXT    NOT NULL
) STRICT;
