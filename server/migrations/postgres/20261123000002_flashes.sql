-- Flashes: the outcome of a plain form post, kept for the page after the redirect.
-- Single-use (read with DELETE … RETURNING) and short-lived.
CREATE TABLE flashes (
    id          TEXT   PRIMARY KEY,
    payload     TEXT   NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX flashes_expiry ON flashes (expires_at);
