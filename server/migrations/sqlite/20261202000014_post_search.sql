-- Search. `search_text` is a post's title and content as search compares them: folded by the
-- server (app::search::query::fold: Unicode full case folding, canonical composition), written
-- with every insert and edit. Rows from before this column are folded at start-up
-- (store::backfill_search), as SQL cannot fold like the server does.
ALTER TABLE posts ADD COLUMN search_text TEXT;

-- A trigram index over it (external content: the text is kept once, in `posts`), so a word of
-- three characters or more is found anywhere in a post without reading every row. The text is
-- already folded, so the index compares it exactly.
CREATE VIRTUAL TABLE posts_search USING fts5(
    search_text,
    content = 'posts',
    content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1'
);

-- A row is in the index exactly when its search text is not NULL (rows from before the column
-- are not, until the start-up folds them): FTS5 takes a 'delete' of a row it does not hold for
-- a corrupt index.
CREATE TRIGGER posts_search_insert AFTER INSERT ON posts WHEN new.search_text IS NOT NULL BEGIN
    INSERT INTO posts_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER posts_search_delete AFTER DELETE ON posts WHEN old.search_text IS NOT NULL BEGIN
    INSERT INTO posts_search (posts_search, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;

CREATE TRIGGER posts_search_update AFTER UPDATE OF search_text ON posts BEGIN
    INSERT INTO posts_search (posts_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
    INSERT INTO posts_search (rowid, search_text)
    SELECT new.id, new.search_text WHERE new.search_text IS NOT NULL;
END;
