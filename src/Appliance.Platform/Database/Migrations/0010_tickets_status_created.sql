-- A status filter without a priority, newest first: the status queue views and every search combined with a status
-- (TicketStore.Search.cs walks the newest matching rows). tickets_status_priority leads with the priority after the
-- status, so these read tickets_created_at and skipped every row of another status: 27,500 rows for the newest 752
-- closed tickets of the benchmark data set, about 22 ms of PostgreSQL's CPU per such search (docs/benchmarks.md).
CREATE INDEX tickets_status_created ON tickets (status, created_at DESC, id) WHERE deleted_at IS NULL;
