-- Form submissions seen, by the one-time token each rendered form carries: a repeated post of
-- the same form (a double click without JavaScript, a resubmitted page) runs the action once
-- and gets the first outcome again. `outcome` is set when the first submission finishes.
CREATE TABLE submissions (
    token       TEXT   PRIMARY KEY,
    outcome     TEXT,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX submissions_expiry ON submissions (expires_at);
