-- CRM: customer addresses, generated customer numbers and row versions (ETags); contacts and sites per customer.
-- The shared transactional outbox: every mutation writes its event here in the same transaction as the change.

-- Trusted since PostgreSQL 13: the database owner may create it. Trigram GIN indexes serve ILIKE '%text%'.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Customer numbers not given by hand are K-00001, K-00002, ...; a number is never handed out twice (deleted
-- customers keep theirs), and numbers already taken by hand are skipped.
CREATE SEQUENCE customer_number_seq AS bigint START 1 NO CYCLE;

CREATE FUNCTION next_customer_number() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    candidate text;
BEGIN
    LOOP
        candidate := 'K-' || lpad(nextval('customer_number_seq')::text, 5, '0');
        EXIT WHEN NOT EXISTS (SELECT 1 FROM customers WHERE customer_number = candidate);
    END LOOP;
    RETURN candidate;
END $$;

ALTER TABLE customers
    ALTER COLUMN customer_number SET DEFAULT next_customer_number(),
    ADD COLUMN street      text CHECK (char_length(street) <= 200),
    ADD COLUMN postal_code text CHECK (char_length(postal_code) <= 16),
    ADD COLUMN city        text CHECK (char_length(city) <= 100),
    ADD COLUMN country     text NOT NULL DEFAULT 'DE' CHECK (country ~ '^[A-Z]{2}$'),
    -- bumped by every update; the ETag of the row and the If-Match check compare it
    ADD COLUMN version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    ADD CONSTRAINT customers_notes_length CHECK (char_length(notes) <= 10000);

CREATE INDEX customers_updated_at ON customers (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX customers_number_trgm ON customers USING gin (customer_number gin_trgm_ops) WHERE deleted_at IS NULL;

CREATE TABLE contacts (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id  uuid NOT NULL REFERENCES customers (id),
    first_name   text CHECK (char_length(first_name) BETWEEN 1 AND 100),
    last_name    text NOT NULL CHECK (char_length(last_name) BETWEEN 1 AND 100),
    email        text CHECK (char_length(email) <= 254 AND position('@' IN email) > 1),
    phone        text CHECK (char_length(phone) <= 40),
    mobile       text CHECK (char_length(mobile) <= 40),
    role         text CHECK (char_length(role) <= 100),
    is_primary   boolean NOT NULL DEFAULT false,
    notes        text CHECK (char_length(notes) <= 10000),
    version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    -- what the search filter matches: "anna vogel anna.vogel@example.com"
    search_text  text GENERATED ALWAYS AS (coalesce(first_name, '') || ' ' || last_name || ' ' || coalesce(email, '')) STORED
);
-- one live contact per address, case-insensitive; deleting a contact frees its address
CREATE UNIQUE INDEX contacts_email_unique ON contacts (lower(email)) WHERE deleted_at IS NULL AND email IS NOT NULL;
CREATE UNIQUE INDEX contacts_one_primary ON contacts (customer_id) WHERE is_primary AND deleted_at IS NULL;
CREATE INDEX contacts_customer_name ON contacts (customer_id, lower(last_name), id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_name ON contacts (lower(last_name), id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_created_at ON contacts (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_search_trgm ON contacts USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;

CREATE TABLE sites (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id  uuid NOT NULL REFERENCES customers (id),
    name         text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 200),
    street       text CHECK (char_length(street) <= 200),
    postal_code  text CHECK (char_length(postal_code) <= 16),
    city         text CHECK (char_length(city) <= 100),
    country      text NOT NULL DEFAULT 'DE' CHECK (country ~ '^[A-Z]{2}$'),
    notes        text CHECK (char_length(notes) <= 10000),
    version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
CREATE UNIQUE INDEX sites_name_unique ON sites (customer_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX sites_name ON sites (lower(name), id) WHERE deleted_at IS NULL;
CREATE INDEX sites_created_at ON sites (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX sites_city ON sites (lower(city), id) WHERE deleted_at IS NULL;

-- Domain events (customer.created, ticket.status_changed, ...), written in the transaction of the change they
-- describe, so an event exists exactly when its change committed. A dispatcher marks them published. Ids are
-- taken at insert, not at commit: a reader must select unpublished rows (FOR UPDATE SKIP LOCKED), never resume
-- from the highest id it has seen.
CREATE TABLE outbox_events (
    id              bigserial PRIMARY KEY,
    event_type      text NOT NULL CHECK (event_type ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$'),
    aggregate_type  text NOT NULL CHECK (char_length(aggregate_type) BETWEEN 1 AND 64),
    aggregate_id    text NOT NULL CHECK (char_length(aggregate_id) BETWEEN 1 AND 64),
    payload         jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    actor_type      text,
    actor_id        text,
    request_id      text,
    published_at    timestamptz
);
CREATE INDEX outbox_events_unpublished ON outbox_events (id) WHERE published_at IS NULL;
CREATE INDEX outbox_events_aggregate ON outbox_events (aggregate_type, aggregate_id, id);
