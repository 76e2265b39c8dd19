-- Flashes, submissions, sessions and jobs are formwork's tables now (formwork::store, applied
-- before these migrations as formwork_*). Their rows move there; the app's copies go.
INSERT INTO formwork_flashes (id, payload, expires_at)
    SELECT id, payload, expires_at FROM flashes;
INSERT INTO formwork_submissions (token, outcome, expires_at)
    SELECT token, outcome, expires_at FROM submissions;
INSERT INTO formwork_sessions (token_hash, user_id, created_at, expires_at, user_agent)
    SELECT token_hash, user_id, created_at, expires_at, user_agent FROM sessions;
-- Job ids are kept: the outbox's job_id names them. The sequence continues after them.
INSERT INTO formwork_jobs (id, kind, payload, state, attempts, run_at, leased_until, last_error, created_at, finished_at)
    SELECT id, kind, payload, state, attempts, run_at, leased_until, last_error, created_at, finished_at FROM jobs;
SELECT setval(pg_get_serial_sequence('formwork_jobs', 'id'), COALESCE(MAX(id), 0) + 1, false)
    FROM formwork_jobs;
DROP TABLE flashes;
DROP TABLE submissions;
DROP TABLE sessions;
DROP TABLE jobs;
