#!/usr/bin/env bash
# Usage: tests/bench/generate-msp.sh [--tickets N] [--customers N] [--contacts N] [--technicians N] [--cache DIR] [--force]
#
# Builds the benchmark MSP (tests/bench/dataset/msp.sql: customers, contacts, sites, technicians, tickets with
# comments and time entries; defaults 10,000 / 50,000 / 200 / 1,000,000) in a migrated PostgreSQL 15 cluster and
# keeps the stopped cluster in the cache, so benchmarks start from a copy instead of regenerating it.
# The cache entry is named after the sizes and a hash of the migrations and the generator; a changed schema or
# generator makes a new entry. Prints the entry's directory on stdout (it holds pg/ and the superuser password).
# --cache defaults to $APPLIANCE_BENCH_CACHE, else /var/tmp/appliance-bench (PostgreSQL runs as postgres when
# started by root, so the directory must be reachable for that user). --force regenerates.
# Set APPLIANCE_PUBLISHED_API to a published API binary to skip the publish step (it runs the migrations).
#
# Exit codes: 0 done; 1 a step failed; 64 bad arguments; 69 a required tool is missing.
set -Eeuo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../lib/common.sh
source "$repo/lib/common.sh"
# shellcheck source=../../lib/localstack.sh
source "$repo/lib/localstack.sh"

tickets=1000000
customers=10000
contacts=50000
technicians=200
cache=${APPLIANCE_BENCH_CACHE:-/var/tmp/appliance-bench}
force=0
# need_value OPTION VALUE...: an option that takes a value got a non-empty one (else exit 64)
need_value() {
  if (($# < 2)) || [[ -z $2 ]]; then
    die "$1 needs a value" 64
  fi
}
while (($#)); do
  case $1 in
    --tickets) need_value "$@"; tickets=$2; shift 2 ;;
    --customers) need_value "$@"; customers=$2; shift 2 ;;
    --contacts) need_value "$@"; contacts=$2; shift 2 ;;
    --technicians) need_value "$@"; technicians=$2; shift 2 ;;
    --cache) need_value "$@"; cache=$2; shift 2 ;;
    --force) force=1; shift ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
done
for size in "$tickets" "$customers" "$contacts" "$technicians"; do
  [[ $size =~ ^[1-9][0-9]*$ ]] || die "sizes are whole numbers of at least 1 (got '$size')" 64
done
require_cmd psql sha256sum

key=$(cat "$repo"/src/Appliance.Platform/Database/Migrations/*.sql "$repo/tests/bench/dataset/msp.sql" | sha256sum | cut -c1-12)
entry=$cache/msp-$customers-$contacts-$technicians-$tickets-$key
if [[ -f $entry/ready && $force -eq 0 ]]; then
  log "dataset cached in $entry"
  printf '%s\n' "$entry"
  exit 0
fi

mkdir -p -- "$cache"
building=$entry.building
rm -rf -- "$building" "$entry"
mkdir -p -- "$building"
chmod 755 "$building"
work=$(mktemp -d /tmp/appliance-bench-gen.XXXXXX)
chmod 755 "$work"
cleanup() {
  pg_stop "$building/pg" >/dev/null 2>&1 || true
  rm -rf -- "$work"
  [[ -f $entry/ready ]] || rm -rf -- "$building"
}
trap cleanup EXIT

binary=${APPLIANCE_PUBLISHED_API:-}
if [[ -z $binary ]]; then
  log "publishing the API to run its migrations"
  dotnet publish "$repo/src/Appliance.Api/Appliance.Api.csproj" -c Release -r linux-x64 --self-contained \
    -o "$work/api" -v quiet -nologo >"$work/publish.log" 2>&1 || { tail -n 20 "$work/publish.log"; die "publish failed"; }
  binary=$work/api/appliance-api
fi

password=$(random_alnum 24)
printf '%s\n' "$password" | write_file 0600 "$building/password"
port=$(free_port)
pg_start "$building/pg" "$port" "$work/sock" "$work/pg.log" "$password" --fast || die "PostgreSQL did not start"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD=$password PGDATABASE=postgres
# Bulk loading: more work memory (not a bigger WAL: its recycled segments would stay in the cache and every copy);
# the benchmark's own settings go into the copy it starts.
psql -q -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET maintenance_work_mem = '1GB'" \
  -c "ALTER SYSTEM SET work_mem = '256MB'" -c "SELECT pg_reload_conf()" >/dev/null

# migrate validates every setting but uses only the database: Redis is named, never reached.
APPLIANCE_Database__ConnectionString="Host=127.0.0.1;Port=$port;Database=postgres;Username=postgres;Password=$password" \
  APPLIANCE_Redis__Endpoint=127.0.0.1:6379 "$binary" migrate >/dev/null || die "migrations failed"

log "generating $customers customers, $contacts contacts, $technicians technicians, $tickets tickets (minutes for a million)"
started=$SECONDS
psql -X -v ON_ERROR_STOP=1 -v customers="$customers" -v contacts="$contacts" -v technicians="$technicians" \
  -v tickets="$tickets" -f "$repo/tests/bench/dataset/msp.sql" >"$work/generate.log" 2>&1 || { tail -n 20 "$work/generate.log"; die "generation failed"; }
grep -A2 '^ *customers |' "$work/generate.log" >&2 || true
psql -q -c "ALTER SYSTEM RESET maintenance_work_mem" -c "ALTER SYSTEM RESET work_mem" \
  -c "SELECT pg_reload_conf()" -c CHECKPOINT -c CHECKPOINT >/dev/null
log "generated in $((SECONDS - started)) s ($(psql -Atq -c "SELECT pg_size_pretty(pg_database_size('postgres'))"))"
pg_stop "$building/pg" || die "PostgreSQL did not stop"
sync
touch "$building/ready"
mv -- "$building" "$entry"
printf '%s\n' "$entry"
