-- Search. `search_text` is a post's title and content as search compares them: folded by the
-- server (app::search::query::fold: Unicode full case folding, canonical composition), written
-- with every insert and edit, so the answers do not depend on the database's collation. Rows
-- from before this column are folded at start-up (store::backfill_search), as SQL cannot fold
-- like the server does.
ALTER TABLE posts ADD COLUMN search_text TEXT;

-- A trigram index over it, so `search_text LIKE '%word%'` with a word of three characters or
-- more reads the index, not every row. pg_trgm ships with PostgreSQL and is a trusted
-- extension (13+): the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX posts_search_trgm ON posts USING gin (search_text gin_trgm_ops);
