-- Service desk: the ticket workflow's columns, comments, time entries, watchers, merges, SLA pauses, full-text
-- search (German and English stemming) and the technician load that auto-assignment reads.

ALTER TABLE tickets
    -- bumped by every update; the ETag of the row and the If-Match check compare it
    ADD COLUMN version          integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    ADD COLUMN reopen_count     integer NOT NULL DEFAULT 0 CHECK (reopen_count >= 0),
    ADD COLUMN merged_into      uuid REFERENCES tickets (id),
    -- the policy the due dates were computed with (the customer's at creation, or the default)
    ADD COLUMN sla_policy_id    uuid REFERENCES sla_policies (id),
    -- while the ticket waits for the customer the SLA clock stands still; the open pause is in ticket_sla_pauses too
    ADD COLUMN sla_paused_since timestamptz,
    ADD COLUMN deleted_by       uuid REFERENCES users (id),
    ADD CONSTRAINT tickets_category_length CHECK (char_length(category) <= 50),
    ADD CONSTRAINT tickets_description_length CHECK (char_length(description) <= 100000),
    ADD CONSTRAINT tickets_not_merged_into_itself CHECK (merged_into <> id),
    ADD CONSTRAINT tickets_merged_are_closed CHECK (merged_into IS NULL OR status = 'closed'),
    ADD CONSTRAINT tickets_paused_only_while_waiting CHECK (sla_paused_since IS NULL OR status = 'waiting_customer');

-- The search document: ticket number as a plain token, the title weighted above the description, each stemmed as
-- German and as English (the MSP's tickets come in both), so "Drucker druckt nicht" and "printers not printing" both
-- find their tickets. HTML tags in the sanitised description are skipped by the parser.
ALTER TABLE tickets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', ticket_number::text), 'A')
    || setweight(to_tsvector('german', title), 'A')
    || setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('german', description), 'B')
    || setweight(to_tsvector('english', description), 'B')
) STORED;
CREATE INDEX tickets_search ON tickets USING gin (search_vector) WHERE deleted_at IS NULL;

-- What a search box's text means: every word must match, each in its German or its English stem (so "Drucker" finds
-- "Druckers" and "printing" finds "printers"), numbers and codes as written (ticket numbers, "E12345"). Words that
-- are stop words in both languages are dropped; text with no searchable word gives NULL, which matches nothing.
-- Immutable, so the planner folds it into a constant and the GIN indexes see a plain tsquery.
CREATE FUNCTION ticket_search_query(search text) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    word text;
    lexeme text;
    alternatives tsquery;
    result tsquery;
BEGIN
    -- token types 12 blank, 15-17 hyphenated compounds (their parts come as tokens of their own)
    FOR word IN SELECT p.token FROM ts_parse('default', left(search, 200)) AS p WHERE p.tokid NOT IN (12, 15, 16, 17) LOOP
        alternatives := NULL;
        FOR lexeme IN SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('german', word) || to_tsvector('english', word))) LOOP
            alternatives := CASE WHEN alternatives IS NULL THEN plainto_tsquery('simple', lexeme)
                                 ELSE alternatives || plainto_tsquery('simple', lexeme) END;
        END LOOP;
        IF alternatives IS NOT NULL THEN
            result := CASE WHEN result IS NULL THEN alternatives ELSE result && alternatives END;
        END IF;
    END LOOP;
    RETURN result;
END $$;

-- The queue views: two filters and a sort served from one index each, newest first.
CREATE INDEX tickets_status_priority ON tickets (status, priority, created_at DESC, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_priority_created ON tickets (priority, created_at DESC, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_category ON tickets (lower(category), created_at DESC) WHERE deleted_at IS NULL AND category IS NOT NULL;
CREATE INDEX tickets_tags ON tickets USING gin (tags) WHERE deleted_at IS NULL;
-- The SLA breach job's two questions: open, running clocks past the resolution due date, or past the response due date
-- without a first response. Both stay small: breached, answered and closed tickets leave them.
CREATE INDEX tickets_sla_open ON tickets (sla_resolution_due) WHERE deleted_at IS NULL AND NOT sla_breached
    AND status IN ('new', 'assigned', 'in_progress');
CREATE INDEX tickets_sla_response_open ON tickets (sla_response_due) WHERE deleted_at IS NULL AND NOT sla_breached
    AND first_response_at IS NULL AND status IN ('new', 'assigned', 'in_progress');
CREATE INDEX tickets_merged_into ON tickets (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE ticket_sla_pauses (
    ticket_id   uuid NOT NULL REFERENCES tickets (id),
    paused_at   timestamptz NOT NULL,
    resumed_at  timestamptz CHECK (resumed_at >= paused_at),
    PRIMARY KEY (ticket_id, paused_at)
);
-- at most one open pause per ticket
CREATE UNIQUE INDEX ticket_sla_pauses_open ON ticket_sla_pauses (ticket_id) WHERE resumed_at IS NULL;

CREATE TABLE ticket_comments (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_id      uuid NOT NULL REFERENCES tickets (id),
    author_id      uuid REFERENCES users (id),
    -- sanitised rich text (p, br, strong, em, ul, ol, li; no attributes)
    body           text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 100000),
    is_internal    boolean NOT NULL DEFAULT false,
    -- where a merged ticket's comment came from
    moved_from     uuid REFERENCES tickets (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    search_vector  tsvector GENERATED ALWAYS AS (to_tsvector('german', body) || to_tsvector('english', body)) STORED
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX ticket_comments_search ON ticket_comments USING gin (search_vector) WHERE deleted_at IS NULL;

CREATE TABLE time_entries (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_id    uuid NOT NULL REFERENCES tickets (id),
    user_id      uuid NOT NULL REFERENCES users (id),
    work_date    date NOT NULL,
    minutes      integer NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    started_at   timestamptz,
    ended_at     timestamptz,
    billable     boolean NOT NULL DEFAULT true,
    work_type    text NOT NULL CHECK (work_type IN ('remote', 'onsite', 'travel', 'phone', 'internal')),
    note         text CHECK (char_length(note) <= 4000),
    approved_at  timestamptz,
    approved_by  uuid REFERENCES users (id),
    moved_from   uuid REFERENCES tickets (id),
    version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    CONSTRAINT time_entries_start_end CHECK ((started_at IS NULL) = (ended_at IS NULL) AND (ended_at IS NULL OR ended_at > started_at)),
    CONSTRAINT time_entries_approval CHECK ((approved_at IS NULL) = (approved_by IS NULL))
);
CREATE INDEX time_entries_ticket ON time_entries (ticket_id, work_date, id) WHERE deleted_at IS NULL;
CREATE INDEX time_entries_user_date ON time_entries (user_id, work_date) WHERE deleted_at IS NULL;
CREATE INDEX time_entries_unapproved ON time_entries (work_date) WHERE deleted_at IS NULL AND approved_at IS NULL AND billable;

CREATE TABLE ticket_watchers (
    ticket_id   uuid NOT NULL REFERENCES tickets (id),
    user_id     uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_watchers_user ON ticket_watchers (user_id);

-- Open tickets per assignee, kept exact by a trigger so that auto-assignment picks the least-loaded technician in
-- one index lookup instead of counting a million tickets on every create.
CREATE TABLE technician_load (
    user_id       uuid PRIMARY KEY REFERENCES users (id),
    open_tickets  integer NOT NULL DEFAULT 0 CHECK (open_tickets >= 0)
);

CREATE FUNCTION ticket_counts_as_open(status text, deleted_at timestamptz) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT deleted_at IS NULL AND status IN ('new', 'assigned', 'in_progress', 'waiting_customer') $$;

CREATE FUNCTION technician_load_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Updates name these columns whether or not they change; only a real change moves a count.
    IF TG_OP = 'UPDATE' AND OLD.assigned_to IS NOT DISTINCT FROM NEW.assigned_to
       AND ticket_counts_as_open(OLD.status, OLD.deleted_at) = ticket_counts_as_open(NEW.status, NEW.deleted_at) THEN
        RETURN NULL;
    END IF;
    -- A reassignment touches two counts: lock them in one order so two opposite reassignments cannot deadlock.
    IF TG_OP = 'UPDATE' AND OLD.assigned_to IS NOT NULL AND NEW.assigned_to IS NOT NULL AND OLD.assigned_to <> NEW.assigned_to THEN
        PERFORM 1 FROM technician_load WHERE user_id IN (OLD.assigned_to, NEW.assigned_to) ORDER BY user_id FOR UPDATE;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.assigned_to IS NOT NULL AND ticket_counts_as_open(OLD.status, OLD.deleted_at) THEN
        UPDATE technician_load SET open_tickets = open_tickets - 1 WHERE user_id = OLD.assigned_to;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.assigned_to IS NOT NULL AND ticket_counts_as_open(NEW.status, NEW.deleted_at) THEN
        INSERT INTO technician_load (user_id, open_tickets) VALUES (NEW.assigned_to, 1)
        ON CONFLICT (user_id) DO UPDATE SET open_tickets = technician_load.open_tickets + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tickets_technician_load
    AFTER INSERT OR DELETE OR UPDATE OF assigned_to, status, deleted_at ON tickets
    FOR EACH ROW EXECUTE FUNCTION technician_load_track();

-- Tickets that existed before this migration (demo data) count too.
INSERT INTO technician_load (user_id, open_tickets)
SELECT assigned_to, count(*) FROM tickets
 WHERE assigned_to IS NOT NULL AND ticket_counts_as_open(status, deleted_at)
 GROUP BY assigned_to;

-- Every technician has a count from the start, so concurrent creates lock (or skip) an existing row instead of racing
-- to insert the first one.
INSERT INTO technician_load (user_id)
SELECT id FROM users WHERE role IN ('technician_l1', 'technician_l2')
ON CONFLICT (user_id) DO NOTHING;

CREATE FUNCTION technician_load_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO technician_load (user_id) VALUES (NEW.id) ON CONFLICT (user_id) DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER users_technician_load
    AFTER INSERT OR UPDATE OF role ON users
    FOR EACH ROW WHEN (NEW.role IN ('technician_l1', 'technician_l2'))
    EXECUTE FUNCTION technician_load_row();

-- Auto-assignment reads the active technicians with a skill in one indexed lookup.
CREATE INDEX users_technician_skills ON users USING gin (skills) WHERE is_active AND role IN ('technician_l1', 'technician_l2');

-- The first public reply by a member of staff is the ticket's first response (it stops the response clock), whichever
-- code path writes the comment. Internal notes and the customer's own comments do not count.
CREATE FUNCTION ticket_first_response_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT NEW.is_internal AND NEW.deleted_at IS NULL AND NEW.author_id IS NOT NULL THEN
        UPDATE tickets t SET first_response_at = NEW.created_at, version = t.version + 1, updated_at = greatest(t.updated_at, NEW.created_at)
          FROM users u
         WHERE t.id = NEW.ticket_id AND t.first_response_at IS NULL AND t.deleted_at IS NULL
           AND u.id = NEW.author_id AND u.role <> 'customer_admin';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ticket_comments_first_response
    AFTER INSERT ON ticket_comments
    FOR EACH ROW EXECUTE FUNCTION ticket_first_response_track();
