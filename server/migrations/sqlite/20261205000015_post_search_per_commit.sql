-- New posts are indexed once per commit of the store's writer, not one by one. Inside a
-- transaction, FTS5 writes what a statement added to it as a segment of its own before the
-- next statement (and merges the segments later): the posts committed together (published at
-- the same moment) each made a segment, and that was 40% of the writer's CPU. A new post's id
-- now waits in a queue, and the writer indexes the queue's posts in one statement just before
-- it commits (SEARCH_QUEUE_DRAIN in store::sqlite), in the same transaction: a post is
-- searchable once its transaction is committed, as before. A post inserted elsewhere with its
-- search text waits for the writer's next commit.
CREATE TABLE posts_search_queue (id INTEGER PRIMARY KEY);

DROP TRIGGER posts_search_insert;
CREATE TRIGGER posts_search_insert AFTER INSERT ON posts WHEN new.search_text IS NOT NULL BEGIN
    INSERT INTO posts_search_queue (id) VALUES (new.id);
END;

-- A queued post is not in the index yet: FTS5 takes a 'delete' of a row it does not hold for
-- a corrupt index. It leaves the queue instead; an edited one stays queued (the queue's posts
-- are indexed with the text they have then).
DROP TRIGGER posts_search_delete;
CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_search (posts_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text
    WHERE old.search_text IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM posts_search_queue WHERE id = old.id);
    DELETE FROM posts_search_queue WHERE id = old.id;
END;

DROP TRIGGER posts_search_update;
CREATE TRIGGER posts_search_update AFTER UPDATE OF search_text ON posts
WHEN NOT EXISTS (SELECT 1 FROM posts_search_queue WHERE id = new.id) BEGIN
    INSERT INTO posts_search (posts_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
    INSERT INTO posts_search (rowid, search_text)
    SELECT new.id, new.search_text WHERE new.search_text IS NOT NULL;
END;
