-- 0019: the search index is filled in the background (store/writer.go).
--
-- The triggers of 0005 indexed a row inside the transaction that wrote it:
-- up to 64 KiB of event tokenized, and a new FTS5 segment written, on the
-- path of every invocation. Now that transaction only queues the row's id
-- here, in the same transaction as the row, so the queue is as durable as
-- the row: a crash leaves nothing unindexed for good, since Open indexes
-- what the queue still holds. The indexer moves queued rows into
-- invocation_search a few hundred at a time; a search indexes what is
-- still queued first (store.flushSearchIndex), so it never misses a row.
DROP TRIGGER IF EXISTS invocation_search_insert;
DROP TRIGGER IF EXISTS invocation_search_update;

CREATE TABLE invocation_search_queue (
	invocation_id INTEGER PRIMARY KEY
) STRICT;

CREATE TRIGGER invocation_search_queue_insert AFTER INSERT ON invocations BEGIN
	INSERT OR IGNORE INTO invocation_search_queue (invocation_id) VALUES (NEW.id);
END;

-- As in 0005: only a change of a searched column queues the row again.
CREATE TRIGGER invocation_search_queue_update AFTER UPDATE OF request_id, error_message, event ON invocations
WHEN OLD.request_id IS NOT NEW.request_id
	OR OLD.error_message IS NOT NEW.error_message
	OR OLD.event IS NOT NEW.event
BEGIN
	INSERT OR IGNORE INTO invocation_search_queue (invocation_id) VALUES (NEW.id);
END;

-- invocation_search_delete (0005) still removes a deleted row's entry.
CREATE TRIGGER invocation_search_queue_delete AFTER DELETE ON invocations BEGIN
	DELETE FROM invocation_search_queue WHERE invocation_id = OLD.id;
END;
