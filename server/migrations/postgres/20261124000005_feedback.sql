-- Notes from the feedback form.
CREATE TABLE feedback (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message     TEXT        NOT NULL CHECK (char_length(message) BETWEEN 3 AND 2000),
    created_at  TIMESTAMPTZ NOT NULL
);
