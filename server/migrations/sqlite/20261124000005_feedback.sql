-- Notes from the feedback form.
CREATE TABLE feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message     TEXT    NOT NULL CHECK (length(message) BETWEEN 3 AND 2000),
    created_at  TEXT    NOT NULL
) STRICT;
