-- The pieces of a streamed response and when each arrived, as a JSON array
-- of {"at": nanoseconds since delivery, "size": bytes}; NULL for a buffered
-- response.
ALTER TABLE invocations ADD COLUMN chunks TEXT;
