-- The durable job queue (formwork::jobs) and the email outbox its jobs write to.
-- Times are Unix milliseconds. A running job's claim holds until leased_until; after that
-- another worker may claim it again (its worker died). Done jobs are forgotten after a day;
-- dead ones stay, with their last error.
CREATE TABLE jobs (
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
CREATE INDEX jobs_due ON jobs (state, run_at);

-- One message per job: a job that runs twice writes once.
CREATE TABLE email_outbox (
    id          BIGSERIAL   PRIMARY KEY,
    job_id      BIGINT      NOT NULL UNIQUE,
    recipient   TEXT        NOT NULL,
    subject     TEXT        NOT NULL,
    body        TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
