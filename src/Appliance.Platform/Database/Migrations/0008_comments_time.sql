-- Comments and time entries: a row version for comments (ETag / If-Match on edit and delete, like every other
-- editable record), and the index the cross-ticket timesheet (GET /time-entries by date) reads.

ALTER TABLE ticket_comments ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1);

-- Timesheets of everyone over a date range (billing's month view), in date order.
CREATE INDEX time_entries_work_date ON time_entries (work_date, id) WHERE deleted_at IS NULL;
