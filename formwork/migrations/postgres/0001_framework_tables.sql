-- formwork's own tables (see formwork::store): flashes, one-time submission tokens, sessions
-- and the job queue. Times are Unix seconds, but the jobs' which are Unix milliseconds.

-- The outcome of a plain form post, kept for the page after the redirect. Single-use (read
-- with DELETE … RETURNING) and short-lived.
CREATE TABLE formwork_flashes (
    id          TEXT    PRIMARY KEY,
    payload     TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX formwork_flashes_expiry ON formwork_flashes (expires_at);

-- Form submissions seen, by the one-time token each rendered form carries: a repeated post
-- runs the action once and gets the first outcome again.
CREATE TABLE formwork_submissions (
    token       TEXT    PRIMARY KEY,
    outcome     TEXT,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX formwork_submissions_expiry ON formwork_submissions (expires_at);

-- Sessions. A row keeps only the SHA-256 of its cookie's token. `user_id` is the app's: who
-- it names comes from the app's principals query (formwork::store).
CREATE TABLE formwork_sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    user_agent  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX formwork_sessions_user ON formwork_sessions (user_id);
CREATE INDEX formwork_sessions_expiry ON formwork_sessions (expires_at);

-- The durable job queue (formwork::jobs). A running job's claim holds until leased_until;
-- after that another worker may claim it again. Done jobs are forgotten after a day; dead
-- ones stay, with their last error.
CREATE TABLE formwork_jobs (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT      NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    payload       TEXT      NOT NULL,
    state         TEXT      NOT NULL DEFAULT 'queued'
                            CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts      BIGINT    NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    run_at        BIGINT    NOT NULL,
    leased_until  BIGINT,
    last_error    TEXT,
    created_at    BIGINT    NOT NULL,
    finished_at   BIGINT
);
CREATE INDEX formwork_jobs_due ON formwork_jobs (state, run_at);
