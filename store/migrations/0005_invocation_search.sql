-- 0005: a full-text index of what the history's text search reads.
--
-- InvocationFilter.Query matches a substring of the request id, the error
-- message or the event. Without an index that is a LIKE over every event
-- (tens of milliseconds at 10k rows, growing with the history). The trigram
-- tokenizer indexes every three-character window, so an FTS5 phrase query
-- finds any substring of three characters or more.
--
-- Case: LIKE ignores the case of ASCII letters only, and the trigram
-- tokenizer's own folding would fold non-ASCII letters too (É to é, even
-- the Kelvin sign to k), finding rows LIKE does not. So the index is case
-- sensitive and holds the text through lower(), which, like LIKE, folds
-- ASCII only; queries go through lower() as well. The search then finds
-- exactly what LIKE finds.
--
-- The rowid is the invocation's id. Only the first 65,536 characters of an
-- event are indexed, so a 6 MB event costs 64 Ki characters of index and
-- not several times its size: a match further into an event is not found.
-- The table stores its own copy of what it indexes (a content-storing FTS5
-- table): the lower-cased, capped text is no column of invocations that an
-- external-content table could read back when it deletes a row.
CREATE VIRTUAL TABLE invocation_search USING fts5(
	request_id, error_message, event,
	tokenize = 'trigram case_sensitive 1'
);

-- Triggers keep the index current within the statement that writes the row,
-- so a row is searchable as soon as BeginInvocation returns and the index
-- never disagrees with a committed row. FinishInvocation sets every column;
-- the update trigger reindexes only when a searched column changed, which
-- costs comparing the event with itself (already in the page cache) instead
-- of tokenizing it twice. Marking rows interrupted changes only the status
-- and fires nothing.
CREATE TRIGGER invocation_search_insert AFTER INSERT ON invocations BEGIN
	INSERT OR REPLACE INTO invocation_search (rowid, request_id, error_message, event)
	VALUES (NEW.id, lower(NEW.request_id), lower(NEW.error_message), lower(substr(NEW.event, 1, 65536)));
END;

CREATE TRIGGER invocation_search_update AFTER UPDATE OF request_id, error_message, event ON invocations
WHEN OLD.request_id IS NOT NEW.request_id
	OR OLD.error_message IS NOT NEW.error_message
	OR OLD.event IS NOT NEW.event
BEGIN
	INSERT OR REPLACE INTO invocation_search (rowid, request_id, error_message, event)
	VALUES (NEW.id, lower(NEW.request_id), lower(NEW.error_message), lower(substr(NEW.event, 1, 65536)));
END;

CREATE TRIGGER invocation_search_delete AFTER DELETE ON invocations BEGIN
	DELETE FROM invocation_search WHERE rowid = OLD.id;
END;

-- The rows recorded before this migration.
INSERT INTO invocation_search (rowid, request_id, error_message, event)
	SELECT id, lower(request_id), lower(error_message), lower(substr(event, 1, 65536)) FROM invocations;
