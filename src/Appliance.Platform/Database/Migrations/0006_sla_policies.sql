-- SLA policies: response and resolution targets per ticket priority (business minutes), measured in a
-- business-hours calendar (IANA time zone, weekly opening hours in local wall-clock time, whole-day holidays).
-- A customer uses its own policy or, when customers.sla_policy_id is null, the one default policy.

CREATE TABLE sla_policies (
    id                           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                         text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 100),
    description                  text CHECK (char_length(description) <= 1000),
    is_default                   boolean NOT NULL DEFAULT false,
    time_zone                    text NOT NULL CHECK (char_length(time_zone) BETWEEN 1 AND 64),
    critical_response_minutes    integer NOT NULL CHECK (critical_response_minutes BETWEEN 1 AND 525600),
    critical_resolution_minutes  integer NOT NULL CHECK (critical_resolution_minutes BETWEEN 1 AND 525600),
    high_response_minutes        integer NOT NULL CHECK (high_response_minutes BETWEEN 1 AND 525600),
    high_resolution_minutes      integer NOT NULL CHECK (high_resolution_minutes BETWEEN 1 AND 525600),
    medium_response_minutes      integer NOT NULL CHECK (medium_response_minutes BETWEEN 1 AND 525600),
    medium_resolution_minutes    integer NOT NULL CHECK (medium_resolution_minutes BETWEEN 1 AND 525600),
    low_response_minutes         integer NOT NULL CHECK (low_response_minutes BETWEEN 1 AND 525600),
    low_resolution_minutes       integer NOT NULL CHECK (low_resolution_minutes BETWEEN 1 AND 525600),
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sla_policies_resolution_after_response CHECK (
        critical_resolution_minutes >= critical_response_minutes
        AND high_resolution_minutes >= high_response_minutes
        AND medium_resolution_minutes >= medium_response_minutes
        AND low_resolution_minutes >= low_response_minutes)
);
CREATE UNIQUE INDEX sla_policies_name_unique ON sla_policies (lower(name));
-- At most one default ...
CREATE UNIQUE INDEX sla_policies_one_default ON sla_policies (is_default) WHERE is_default;

-- ... and at least one, checked when the transaction commits (so switching the default in two steps is fine).
CREATE FUNCTION sla_policies_require_default() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM sla_policies WHERE is_default) THEN
        RAISE EXCEPTION 'one SLA policy must be the default' USING ERRCODE = 'check_violation', CONSTRAINT = 'sla_policies_require_default';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER sla_policies_require_default
    AFTER INSERT OR UPDATE OF is_default OR DELETE ON sla_policies
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION sla_policies_require_default();

-- Opening intervals in local wall-clock time; weekday is ISO (1 Monday .. 7 Sunday); end_time may be 24:00.
-- Overlaps are refused by the application (BusinessCalendar), which names the offending entry.
CREATE TABLE sla_policy_hours (
    policy_id   uuid NOT NULL REFERENCES sla_policies (id) ON DELETE CASCADE,
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_time  time NOT NULL CHECK (start_time < '24:00'),
    end_time    time NOT NULL CHECK (end_time > start_time),
    PRIMARY KEY (policy_id, weekday, start_time)
);

CREATE TABLE sla_policy_holidays (
    policy_id     uuid NOT NULL REFERENCES sla_policies (id) ON DELETE CASCADE,
    holiday_date  date NOT NULL,
    name          text CHECK (char_length(name) <= 100),
    PRIMARY KEY (policy_id, holiday_date)
);

ALTER TABLE customers ADD COLUMN sla_policy_id uuid REFERENCES sla_policies (id);
CREATE INDEX customers_sla_policy ON customers (sla_policy_id) WHERE sla_policy_id IS NOT NULL;

-- The default policy every installation starts with: German office hours and the nationwide public holidays.
-- Targets (business time): critical 1 h / 4 h, high 2 h / 8 h, medium 4 h / 3 days, low 8 h / 5 days (9-hour days).
WITH standard AS (
    INSERT INTO sla_policies (
        name, description, is_default, time_zone,
        critical_response_minutes, critical_resolution_minutes,
        high_response_minutes, high_resolution_minutes,
        medium_response_minutes, medium_resolution_minutes,
        low_response_minutes, low_resolution_minutes)
    VALUES (
        'Standard', 'Mon-Fri 08:00-17:00 Europe/Berlin, nationwide German public holidays', true, 'Europe/Berlin',
        60, 240,
        120, 480,
        240, 1620,
        480, 2700)
    RETURNING id
), hours AS (
    INSERT INTO sla_policy_hours (policy_id, weekday, start_time, end_time)
    SELECT standard.id, day, '08:00', '17:00' FROM standard, generate_series(1, 5) AS day
)
INSERT INTO sla_policy_holidays (policy_id, holiday_date, name)
SELECT standard.id, holiday.day::date, holiday.name
  FROM standard, (VALUES
    ('2026-01-01', 'Neujahr'), ('2026-04-03', 'Karfreitag'), ('2026-04-06', 'Ostermontag'),
    ('2026-05-01', 'Tag der Arbeit'), ('2026-05-14', 'Christi Himmelfahrt'), ('2026-05-25', 'Pfingstmontag'),
    ('2026-10-03', 'Tag der Deutschen Einheit'), ('2026-12-25', '1. Weihnachtstag'), ('2026-12-26', '2. Weihnachtstag'),
    ('2027-01-01', 'Neujahr'), ('2027-03-26', 'Karfreitag'), ('2027-03-29', 'Ostermontag'),
    ('2027-05-01', 'Tag der Arbeit'), ('2027-05-06', 'Christi Himmelfahrt'), ('2027-05-17', 'Pfingstmontag'),
    ('2027-10-03', 'Tag der Deutschen Einheit'), ('2027-12-25', '1. Weihnachtstag'), ('2027-12-26', '2. Weihnachtstag')
  ) AS holiday (day, name);
