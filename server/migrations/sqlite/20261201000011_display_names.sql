-- What a person is called on the site, next to their posts and comments; their username stays
-- what they sign in with. NULL until they choose one (their username is shown).
ALTER TABLE users ADD COLUMN display_name TEXT
    CHECK (display_name IS NULL OR length(display_name) BETWEEN 1 AND 50);
