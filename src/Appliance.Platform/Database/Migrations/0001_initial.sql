-- Foundation schema: the MSP itself, its customers, its users and the tickets they work on.
-- Later modules add their tables in their own numbered migrations.

CREATE TABLE organization (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customers (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_number text NOT NULL UNIQUE CHECK (char_length(customer_number) BETWEEN 1 AND 32),
    name            text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 200),
    vat_id          text CHECK (char_length(vat_id) <= 32),
    language        text NOT NULL DEFAULT 'de' CHECK (language IN ('de', 'en')),
    notes           text,
    is_active       boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE UNIQUE INDEX customers_name_unique ON customers (lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX customers_created_at ON customers (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL CHECK (position('@' IN email) > 1),
    display_name  text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
    role          text NOT NULL CHECK (role IN ('system_admin', 'service_manager', 'technician_l1', 'technician_l2', 'billing', 'customer_admin')),
    customer_id   uuid REFERENCES customers (id),
    password_hash text,
    language      text NOT NULL DEFAULT 'de' CHECK (language IN ('de', 'en')),
    skills        text[] NOT NULL DEFAULT '{}',
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- customer users belong to exactly one company; MSP staff to none
    CONSTRAINT users_customer_scope CHECK ((role = 'customer_admin') = (customer_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

-- NO CYCLE: a ticket number is never handed out twice, even after deletes.
CREATE SEQUENCE ticket_number_seq AS bigint START 10001 NO CYCLE;

CREATE TABLE tickets (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_number       bigint NOT NULL UNIQUE DEFAULT nextval('ticket_number_seq'),
    title               text NOT NULL CHECK (char_length(title) BETWEEN 3 AND 200),
    description         text NOT NULL CHECK (char_length(description) >= 10),
    status              text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'assigned', 'in_progress', 'waiting_customer', 'resolved', 'closed')),
    priority            text NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    category            text,
    tags                text[] NOT NULL DEFAULT '{}',
    customer_id         uuid NOT NULL REFERENCES customers (id),
    assigned_to         uuid REFERENCES users (id),
    created_by          uuid REFERENCES users (id),
    source              text NOT NULL DEFAULT 'portal' CHECK (source IN ('portal', 'email', 'phone', 'api')),
    sla_response_due    timestamptz,
    sla_resolution_due  timestamptz,
    sla_breached        boolean NOT NULL DEFAULT false,
    first_response_at   timestamptz,
    resolved_at         timestamptz,
    closed_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
ALTER SEQUENCE ticket_number_seq OWNED BY tickets.ticket_number;
CREATE INDEX tickets_customer_status ON tickets (customer_id, status, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_assignee_status ON tickets (assigned_to, status, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_created_at ON tickets (created_at DESC, id) WHERE deleted_at IS NULL;
