-- Newsletter subscribers (addresses stored lower-cased) and contact messages.
CREATE TABLE newsletter_subscribers (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       TEXT        NOT NULL UNIQUE CHECK (char_length(email) BETWEEN 3 AND 254),
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE contact_messages (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT        NOT NULL CHECK (char_length(name) BETWEEN 2 AND 100),
    email       TEXT        NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    message     TEXT        NOT NULL CHECK (char_length(message) BETWEEN 10 AND 5000),
    created_at  TIMESTAMPTZ NOT NULL
);
