-- Newsletter subscribers (addresses stored lower-cased) and contact messages.
CREATE TABLE newsletter_subscribers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    email       TEXT    NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    created_at  TEXT    NOT NULL
) STRICT;

CREATE TABLE contact_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 2 AND 100),
    email       TEXT    NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    message     TEXT    NOT NULL CHECK (length(message) BETWEEN 10 AND 5000),
    created_at  TEXT    NOT NULL
) STRICT;
