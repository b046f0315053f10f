-- A realistic MSP for the service-desk benchmarks, generated inside PostgreSQL (no round trips):
-- customers, contacts, sites, technicians with skills, tickets over three years in German and English with the
-- status mix of a real desk (most closed, recent ones open), comments (a fifth internal) and time entries.
--
-- Run by tests/bench/generate-msp.sh on a migrated database:
--   psql -v customers=10000 -v contacts=50000 -v technicians=200 -v tickets=1000000 -f msp.sql
-- Deterministic: every "random" choice is a hash of the row number, so two runs give the same data.
\set ON_ERROR_STOP on
\timing off
SET client_min_messages = warning;
SET synchronous_commit = off;

-- h(n, stream): a stable pseudo-random non-negative number for row n; different streams are independent.
CREATE FUNCTION pg_temp.h(n bigint, stream integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT abs(hashint8extended(n, stream)) $$;
CREATE FUNCTION pg_temp.pick(words text[], n bigint, stream integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT words[1 + pg_temp.h(n, stream) % cardinality(words)] $$;

\echo generating customers
INSERT INTO customers (customer_number, name, vat_id, language, street, postal_code, city, country, notes, created_at, updated_at)
SELECT 'B-' || lpad(g::text, 6, '0'),
       pg_temp.pick(ARRAY['Bäckerei', 'Autohaus', 'Praxis Dr.', 'Kanzlei', 'Ingenieurbüro', 'Hotel', 'Logistik', 'Elektro',
                          'Steuerberatung', 'Architekten', 'Zahnarztpraxis', 'Spedition', 'Metallbau', 'Apotheke'], g, 1)
         || ' ' || pg_temp.pick(ARRAY['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker',
                                      'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann', 'Braun'], g, 2)
         || ' ' || pg_temp.pick(ARRAY['GmbH', 'AG', 'KG', 'GmbH & Co. KG', 'e.K.', 'OHG'], g, 3)
         || ' ' || g,
       CASE WHEN pg_temp.h(g, 4) % 3 = 0 THEN NULL ELSE 'DE' || lpad((pg_temp.h(g, 5) % 1000000000)::text, 9, '0') END,
       CASE WHEN pg_temp.h(g, 6) % 10 < 7 THEN 'de' ELSE 'en' END,
       pg_temp.pick(ARRAY['Hauptstraße', 'Bahnhofstraße', 'Gartenweg', 'Industriestraße', 'Marktplatz'], g, 7) || ' ' || (1 + pg_temp.h(g, 8) % 120),
       lpad((1000 + pg_temp.h(g, 9) % 98000)::text, 5, '0'),
       pg_temp.pick(ARRAY['Berlin', 'Hamburg', 'München', 'Köln', 'Frankfurt', 'Stuttgart', 'Leipzig', 'Dresden', 'Hannover', 'Nürnberg'], g, 10),
       'DE',
       CASE WHEN g % 5 = 0 THEN 'Wartungsvertrag seit ' || (2015 + g % 10) END,
       now() - make_interval(days => (1500 - g * 1500 / :customers)::int),
       now() - make_interval(days => (pg_temp.h(g, 11) % 300)::int)
  FROM generate_series(1, :customers) AS g;

CREATE TEMP TABLE bench_customers AS
SELECT row_number() OVER (ORDER BY customer_number) AS n, id, language
  FROM customers WHERE customer_number LIKE 'B-%';
CREATE UNIQUE INDEX ON bench_customers (n);
ANALYZE bench_customers;

\echo generating contacts and sites
INSERT INTO contacts (customer_id, first_name, last_name, email, phone, role, is_primary, created_at, updated_at)
SELECT c.id,
       pg_temp.pick(ARRAY['Anna', 'Lukas', 'Marie', 'Jonas', 'Sophie', 'Felix', 'Laura', 'Paul', 'Julia', 'Leon', 'Emma', 'Max'], g, 21),
       pg_temp.pick(ARRAY['Vogel', 'Krüger', 'Hartmann', 'Lange', 'Werner', 'Krause', 'Lehmann', 'Köhler', 'Schwarz', 'Zimmermann'], g, 22),
       'kontakt' || g || '@kunde' || c.n || '.example',
       '+49 ' || (30 + pg_temp.h(g, 23) % 900) || ' ' || (100000 + pg_temp.h(g, 24) % 899999),
       pg_temp.pick(ARRAY['Geschäftsführung', 'Buchhaltung', 'Empfang', 'IT-Ansprechpartner', 'Einkauf'], g, 25),
       g <= :customers,
       now() - make_interval(days => (pg_temp.h(g, 26) % 1400)::int),
       now() - make_interval(days => (pg_temp.h(g, 27) % 200)::int)
  FROM generate_series(1, :contacts) AS g
  JOIN bench_customers c ON c.n = 1 + (g - 1) % :customers;

INSERT INTO sites (customer_id, name, street, postal_code, city, country)
SELECT c.id, CASE WHEN s = 1 THEN 'Hauptsitz' ELSE 'Filiale ' || s END,
       pg_temp.pick(ARRAY['Hauptstraße', 'Ringstraße', 'Am Hafen', 'Lindenallee'], c.n * 10 + s, 31) || ' ' || (1 + pg_temp.h(c.n * 10 + s, 32) % 90),
       lpad((1000 + pg_temp.h(c.n * 10 + s, 33) % 98000)::text, 5, '0'),
       pg_temp.pick(ARRAY['Berlin', 'Potsdam', 'Bremen', 'Mainz', 'Bonn', 'Ulm'], c.n * 10 + s, 34), 'DE'
  FROM bench_customers c, generate_series(1, 1 + (c.n % 3)::int) AS s;

\echo generating technicians
INSERT INTO users (email, display_name, role, skills, language, created_at)
SELECT 'tech' || g || '@bench-msp.example',
       pg_temp.pick(ARRAY['Tom', 'Nina', 'Ben', 'Lea', 'Finn', 'Mia', 'Jan', 'Lina'], g, 41) || ' ' ||
       pg_temp.pick(ARRAY['Berger', 'Frank', 'Roth', 'Beck', 'Lorenz', 'Baumann', 'Franke', 'Albrecht'], g, 42) || ' ' || g,
       CASE WHEN g % 3 = 0 THEN 'technician_l2' ELSE 'technician_l1' END,
       ARRAY[pg_temp.pick(ARRAY['network', 'printing', 'm365', 'backup', 'security', 'hardware', 'telephony', 'erp'], g, 43),
             pg_temp.pick(ARRAY['network', 'printing', 'm365', 'backup', 'security', 'hardware', 'telephony', 'erp'], g, 44)],
       CASE WHEN g % 4 = 0 THEN 'en' ELSE 'de' END,
       now() - make_interval(days => (pg_temp.h(g, 45) % 2000)::int)
  FROM generate_series(1, :technicians) AS g;

CREATE TEMP TABLE bench_techs AS
SELECT row_number() OVER (ORDER BY email) AS n, id FROM users WHERE email LIKE 'tech%@bench-msp.example';
CREATE UNIQUE INDEX ON bench_techs (n);
ANALYZE bench_techs;

\echo generating tickets (this is the long part)
-- created_at spreads the tickets over three years, oldest first; tickets of the last 30 days are mostly open,
-- older ones closed or resolved, as on a real desk.
CREATE TEMP TABLE bench_ticket_plan AS
SELECT g,
       now() - make_interval(secs => ((:tickets - g)::double precision / :tickets) * 3 * 365 * 86400 + pg_temp.h(g, 51) % 3600) AS created_at,
       pg_temp.pick(ARRAY['low', 'medium', 'medium', 'medium', 'high', 'high', 'critical'], g, 52) AS priority,
       pg_temp.pick(ARRAY['network', 'printing', 'm365', 'backup', 'security', 'hardware', 'telephony', 'erp'], g, 53) AS category,
       1 + pg_temp.h(g, 54) % :customers AS customer_n,
       1 + pg_temp.h(g, 55) % :technicians AS tech_n,
       pg_temp.h(g, 56) % 100 AS roll,
       pg_temp.h(g, 57) % 50000 AS code
  FROM generate_series(1, :tickets) AS g;

INSERT INTO tickets (title, description, status, priority, category, tags, customer_id, assigned_to, source,
                     sla_response_due, sla_resolution_due, sla_breached, first_response_at, resolved_at, closed_at,
                     created_at, updated_at)
SELECT CASE WHEN c.language = 'de'
            THEN pg_temp.pick(ARRAY['Drucker', 'Laptop', 'Server', 'Firewall', 'VPN', 'Outlook', 'Teams', 'Switch', 'NAS',
                                    'Telefonanlage', 'WLAN', 'Scanner', 'Datensicherung', 'Warenwirtschaft'], p.g, 61)
                 || ' ' || pg_temp.pick(ARRAY['startet nicht', 'ist sehr langsam', 'hat keine Verbindung', 'zeigt Fehlermeldung',
                                              'fällt regelmäßig aus', 'druckt nicht', 'meldet Zertifikatsfehler', 'synchronisiert nicht'], p.g, 62)
            ELSE pg_temp.pick(ARRAY['Printer', 'Laptop', 'Server', 'Firewall', 'VPN', 'Outlook', 'Teams', 'Switch', 'NAS',
                                    'Phone system', 'Wi-Fi', 'Scanner', 'Backup', 'ERP system'], p.g, 61)
                 || ' ' || pg_temp.pick(ARRAY['does not start', 'is very slow', 'has no connection', 'shows an error message',
                                              'keeps failing', 'is not printing', 'reports a certificate error', 'does not sync'], p.g, 62)
       END,
       CASE WHEN c.language = 'de'
            THEN '<p>Seit ' || pg_temp.pick(ARRAY['heute Morgen', 'gestern Abend', 'dem letzten Update', 'dem Umzug'], p.g, 63)
                 || ' gibt es Probleme am Arbeitsplatz ' || (1 + pg_temp.h(p.g, 64) % 80) || '. Fehlercode E' || p.code
                 || '.</p><p>' || pg_temp.pick(ARRAY['Die Benutzerin kann nicht arbeiten.', 'Ein Neustart hat nicht geholfen.',
                                                   'Betroffen sind mehrere Mitarbeiter.', 'Bitte dringend zurückrufen.'], p.g, 65) || '</p>'
            ELSE '<p>Since ' || pg_temp.pick(ARRAY['this morning', 'last night', 'the last update', 'the office move'], p.g, 63)
                 || ' there are problems at workstation ' || (1 + pg_temp.h(p.g, 64) % 80) || '. Error code E' || p.code
                 || '.</p><p>' || pg_temp.pick(ARRAY['The user cannot work.', 'A restart did not help.',
                                                   'Several employees are affected.', 'Please call back urgently.'], p.g, 65) || '</p>'
       END,
       s.status,
       p.priority,
       p.category,
       ARRAY[p.category] || CASE WHEN p.roll % 7 = 0 THEN ARRAY['vip'] ELSE ARRAY[]::text[] END,
       c.id,
       CASE WHEN s.status = 'new' THEN NULL ELSE t.id END,
       pg_temp.pick(ARRAY['portal', 'email', 'email', 'phone', 'api'], p.g, 66),
       p.created_at + sla.response,
       p.created_at + sla.resolution,
       s.status IN ('resolved', 'closed') AND p.roll % 10 = 0,
       CASE WHEN s.status = 'new' THEN NULL ELSE p.created_at + sla.response * ((p.roll % 90) / 100.0) END,
       CASE WHEN s.status IN ('resolved', 'closed') THEN p.created_at + sla.resolution * ((p.roll % 120) / 100.0) END,
       CASE WHEN s.status = 'closed' THEN p.created_at + sla.resolution * ((p.roll % 120) / 100.0) + interval '2 days' END,
       p.created_at,
       p.created_at + interval '1 hour'
  FROM bench_ticket_plan p
  JOIN bench_customers c ON c.n = p.customer_n
  JOIN bench_techs t ON t.n = p.tech_n
  CROSS JOIN LATERAL (SELECT CASE
           WHEN p.created_at > now() - interval '30 days' THEN
                (ARRAY['new', 'assigned', 'in_progress', 'in_progress', 'waiting_customer', 'resolved'])[1 + p.roll % 6]
           WHEN p.roll < 85 THEN 'closed'
           WHEN p.roll < 97 THEN 'resolved'
           ELSE (ARRAY['in_progress', 'waiting_customer', 'assigned'])[1 + p.roll % 3]
       END AS status) s
  CROSS JOIN LATERAL (SELECT CASE p.priority
           WHEN 'critical' THEN interval '1 hour' WHEN 'high' THEN interval '4 hours'
           WHEN 'medium' THEN interval '8 hours' ELSE interval '24 hours' END AS response,
                             CASE p.priority
           WHEN 'critical' THEN interval '4 hours' WHEN 'high' THEN interval '1 day'
           WHEN 'medium' THEN interval '3 days' ELSE interval '5 days' END AS resolution) sla
 ORDER BY p.g;

\echo generating comments and time entries
INSERT INTO ticket_comments (ticket_id, author_id, body, is_internal, created_at, updated_at)
SELECT t.id,
       t.assigned_to,
       '<p>' || pg_temp.pick(ARRAY['Fernwartung gestartet, Treiber neu installiert.', 'Kunde zurückgerufen, Problem eingegrenzt.',
                                   'Remote session started, reinstalled the driver.', 'Called the customer back, narrowed it down.',
                                   'Firmware aktualisiert und Gerät neu gestartet.', 'Updated the firmware and restarted the device.',
                                   'Zertifikat erneuert, Dienst läuft wieder.', 'Renewed the certificate, service is back.'],
                             t.ticket_number * 8 + k, 71) || '</p>',
       pg_temp.h(t.ticket_number * 8 + k, 72) % 5 = 0,
       t.created_at + make_interval(mins => (k * 37)::int),
       t.created_at + make_interval(mins => (k * 37)::int)
  FROM tickets t
  CROSS JOIN LATERAL generate_series(1, (pg_temp.h(t.ticket_number, 73) % 4)::int) AS k
 WHERE t.assigned_to IS NOT NULL AND t.customer_id IN (SELECT id FROM bench_customers);

INSERT INTO time_entries (ticket_id, user_id, work_date, minutes, billable, work_type, note, approved_at, approved_by, created_at, updated_at)
SELECT t.id, t.assigned_to, (t.created_at AT TIME ZONE 'Europe/Berlin')::date,
       15 * (1 + pg_temp.h(t.ticket_number, 81) % 12)::int,
       pg_temp.h(t.ticket_number, 82) % 10 < 8,
       pg_temp.pick(ARRAY['remote', 'remote', 'remote', 'onsite', 'phone', 'travel'], t.ticket_number, 83),
       'Bearbeitung',
       CASE WHEN t.status = 'closed' THEN t.closed_at END,
       CASE WHEN t.status = 'closed' THEN t.assigned_to END,
       t.created_at + interval '2 hours',
       t.created_at + interval '2 hours'
  FROM tickets t
 WHERE t.assigned_to IS NOT NULL AND t.status IN ('in_progress', 'waiting_customer', 'resolved', 'closed')
   AND t.customer_id IN (SELECT id FROM bench_customers);

\echo analysing
VACUUM ANALYZE customers;
VACUUM ANALYZE contacts;
VACUUM ANALYZE sites;
VACUUM ANALYZE users;
VACUUM ANALYZE tickets;
VACUUM ANALYZE ticket_comments;
VACUUM ANALYZE time_entries;
VACUUM ANALYZE technician_load;

SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM contacts) AS contacts,
       (SELECT count(*) FROM users WHERE role LIKE 'technician%') AS technicians, (SELECT count(*) FROM tickets) AS tickets,
       (SELECT count(*) FROM ticket_comments) AS comments, (SELECT count(*) FROM time_entries) AS time_entries;
