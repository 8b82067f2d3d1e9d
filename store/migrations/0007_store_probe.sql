-- 0007: a scratch table for the health check's write probe.
--
-- While writes are failing, /healthz asks the store whether it has
-- recovered by committing a real write here (64 KiB, removed in the same
-- transaction), which needs the write lock and room in the file, as an
-- invocation's row does. It stays empty.
CREATE TABLE store_probe (
	data BLOB NOT NULL
) STRICT;
