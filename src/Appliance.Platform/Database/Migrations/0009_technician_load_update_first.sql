-- Create throughput: every technician has a load row (migration 0007 fills them, the users trigger adds new ones), so
-- the count moves with a plain UPDATE; the INSERT ... ON CONFLICT DO UPDATE it used on every assignment first tries a
-- speculative index insertion. The insert stays as the fallback for a row that went missing.
CREATE OR REPLACE FUNCTION technician_load_track() RETURNS trigger LANGUAGE plpgsql AS $$
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
        UPDATE technician_load SET open_tickets = open_tickets + 1 WHERE user_id = NEW.assigned_to;
        IF NOT FOUND THEN
            INSERT INTO technician_load (user_id, open_tickets) VALUES (NEW.assigned_to, 1)
            ON CONFLICT (user_id) DO UPDATE SET open_tickets = technician_load.open_tickets + 1;
        END IF;
    END IF;
    RETURN NULL;
END $$;
