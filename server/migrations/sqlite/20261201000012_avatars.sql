-- A user's picture, as keys in the object store (never paths a client chose):
--   avatar_key      the 256×256 JPEG shown next to their posts and comments (NULL: none);
--   avatar_pending  the upload waiting for its job to be decoded and resized (NULL: none);
--   avatar_error    why the last upload could not be used, until the next one.
ALTER TABLE users ADD COLUMN avatar_key TEXT;
ALTER TABLE users ADD COLUMN avatar_pending TEXT;
ALTER TABLE users ADD COLUMN avatar_error TEXT;
