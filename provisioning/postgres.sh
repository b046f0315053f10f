#!/usr/bin/env bash
# Usage: provisioning/postgres.sh [--dry-run] [--root DIR] [--secrets DIR] [--replica]
#
# Installs PostgreSQL 15 for the appliance inside the database container:
#   - listens only on its database-segment address (10.0.30.10, the replica 10.0.30.11) and localhost
#   - pg_hba: the app role `appliance` only from the services segment 10.0.20.0/24, replication
#     only from the replica's address, all with scram-sha-256; everything else rejected
#   - primary: role `appliance` and database `appliance` (owner), role `replicator` (REPLICATION),
#     physical replication slot replica1 — created if missing, passwords (re)set from the keys
#   - --replica: an empty/fresh cluster is replaced by pg_basebackup from the primary
#     (-R -X stream -S replica1, fast checkpoint), i.e. a hot standby following the primary; its
#     replication password stays in /var/lib/postgresql/.pgpass-replication (0600 postgres), which
#     primary_conninfo names, so it reconnects after restarts
# Database and replication passwords live in /etc/appliance/keys (0600 root), taken from
# --secrets DIR on the first run (the value the API and worker use) or generated; never
# overwritten. The service is restarted only when a config file changed.
#
# Exit codes:
#   0   installed (or already in place)
#   1   a step failed
#   64  usage error
#   77  not root (a live run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=lib/provision.sh
source "$HERE/lib/provision.sh"
trap 'on_err "$?" "$LINENO"' ERR

PG_VERSION=15
CONF_DIR=/etc/postgresql/$PG_VERSION/main
# The replica's password for the replication connection (0600 postgres), read by its walreceiver.
REPLICA_PASSFILE=/var/lib/postgresql/.pgpass-replication
DATA_DIR=/var/lib/postgresql/$PG_VERSION/main

provision_parse_args "$@"
if ((REPLICA)); then
  SELF_IP=$(topology_get postgres-replica ip)
else
  SELF_IP=$(topology_get postgres ip)
fi
PRIMARY_IP=$(topology_get postgres ip)
REPLICA_IP=$(topology_get postgres-replica ip)
SERVICES_CIDR=$(segment_get services cidr)

packages "postgresql-$PG_VERSION" "postgresql-client-$PG_VERSION"
ensure_dir 0750 root:root /etc/appliance
ensure_dir 0700 root:root /etc/appliance/keys
secret_from_source db-password /etc/appliance/keys/db-password 0600 password root:root
secret_from_source replication-password /etc/appliance/keys/replication-password 0600 password root:root

ensure_dir 0755 postgres:postgres "$CONF_DIR"
ensure_dir 0755 postgres:postgres "$CONF_DIR/conf.d"
write_if_changed 0644 postgres:postgres "$CONF_DIR/conf.d/appliance.conf" <<EOF_CONF
# Written by provisioning/postgres.sh.
listen_addresses = '$SELF_IP,127.0.0.1'
password_encryption = 'scram-sha-256'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
# The API's queries are short index lookups: JIT compilation would cost more than it saves, and the
# container's storage is SSD-backed.
jit = off
random_page_cost = 1.1
# Ticket writes touch many index pages: fewer checkpoints mean fewer full-page images in the WAL (and on
# the replica). Crash recovery replays at most 15 minutes of WAL.
max_wal_size = '4GB'
checkpoint_timeout = '15min'
EOF_CONF
write_if_changed 0640 postgres:postgres "$CONF_DIR/pg_hba.conf" <<EOF_HBA
# Written by provisioning/postgres.sh: the appliance's services segment and the replica only.
# TYPE  DATABASE     USER        ADDRESS              METHOD
local   all          postgres                         peer
local   all          all                              peer
host    all          all         127.0.0.1/32         scram-sha-256
host    appliance    appliance   $SERVICES_CIDR       scram-sha-256
host    replication  replicator  $REPLICA_IP/32       scram-sha-256
host    all          all         0.0.0.0/0            reject
host    all          all         ::/0                 reject
EOF_HBA

if ! live; then
  log "--root: configuration written; roles, database and replication are set up on a live run"
  exit 0
fi

# A temporary file readable by postgres keeps passwords off command lines and out of dry-run output.
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
chmod 0711 "$work"

if ((REPLICA)); then
  if [[ -e "$DATA_DIR/standby.signal" ]]; then
    log "replica already follows the primary ($DATA_DIR/standby.signal present)"
  else
    log "replacing the local cluster with a base backup of $PRIMARY_IP (slot replica1)"
    # The standby's walreceiver reconnects with this file after every restart of either server
    # (-R writes its path into primary_conninfo): it must outlive provisioning.
    printf '%s:5432:replication:replicator:%s\n' "$PRIMARY_IP" "$(_read_secret /etc/appliance/keys/replication-password)" |
      write_file 0600 "$REPLICA_PASSFILE"
    is_dry_run || chown postgres:postgres "$REPLICA_PASSFILE"
    run systemctl stop "postgresql@$PG_VERSION-main.service"
    run find "$DATA_DIR" -mindepth 1 -delete
    # --checkpoint=fast: the default spread checkpoint keeps an idle primary busy for minutes first.
    run runuser -u postgres -- env PGPASSFILE="$REPLICA_PASSFILE" pg_basebackup -h "$PRIMARY_IP" -U replicator \
      -D "$DATA_DIR" -X stream -S replica1 -R --checkpoint=fast
  fi
  run systemctl enable "postgresql@$PG_VERSION-main.service"
  if ((FILES_CHANGED)); then run systemctl restart "postgresql@$PG_VERSION-main.service"; else run systemctl start "postgresql@$PG_VERSION-main.service"; fi
  log "postgres replica provisioned"
  exit 0
fi

run systemctl enable "postgresql@$PG_VERSION-main.service"
if ((FILES_CHANGED)); then run systemctl restart "postgresql@$PG_VERSION-main.service"; else run systemctl start "postgresql@$PG_VERSION-main.service"; fi
{
  printf '\\set ON_ERROR_STOP on\n'
  printf "\\\\set app_pw '%s'\n" "$(_read_secret /etc/appliance/keys/db-password)"
  printf "\\\\set repl_pw '%s'\n" "$(_read_secret /etc/appliance/keys/replication-password)"
  cat <<'EOF_SQL'
SELECT 'CREATE ROLE appliance LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'appliance') \gexec
ALTER ROLE appliance LOGIN PASSWORD :'app_pw';
SELECT 'CREATE ROLE replicator LOGIN REPLICATION' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'replicator') \gexec
ALTER ROLE replicator LOGIN REPLICATION PASSWORD :'repl_pw';
SELECT 'CREATE DATABASE appliance OWNER appliance' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'appliance') \gexec
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'replica1') THEN
    PERFORM pg_create_physical_replication_slot('replica1');
  END IF;
END $$;
EOF_SQL
} | write_file 0600 "$work/setup.sql"
is_dry_run || chown postgres:postgres "$work/setup.sql"
run runuser -u postgres -- psql -X -q -f "$work/setup.sql"
log "postgres primary provisioned"
