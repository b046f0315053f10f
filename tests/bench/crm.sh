#!/usr/bin/env bash
# Usage: tests/bench/crm.sh [--duration SECONDS] [--customers N]
#
# Benchmarks the CRM endpoints of the published API on this machine (wrk, 2 threads, 16 connections each run):
#   list        GET /api/v1/customers (default page of 20, sorted by name)
#   search      GET /api/v1/customers?search=... (trigram index on name, prefix on number)
#   include     GET /api/v1/customers?limit=100&include=contacts,sites&fields=id,name (shaped, 3 queries)
#   get         GET /api/v1/customers/{id} (with ETag)
#   patch       PATCH /api/v1/customers/{id} over many customers (row lock, update, audit row, outbox event)
# Seeds N customers (default 2000) with 3 contacts and 2 sites each. Starts its own throwaway PostgreSQL and
# Redis on free loopback ports and stops them on exit; the per-user rate limit is lifted for the run.
# Set APPLIANCE_PUBLISHED_API to an already published binary to skip the publish step.
#
# Exit codes: 0 figures printed; 1 a step failed; 64 bad arguments; 69 a required tool is missing.
set -Eeuo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../lib/common.sh
source "$repo/lib/common.sh"
# shellcheck source=../../lib/localstack.sh
source "$repo/lib/localstack.sh"
# shellcheck source=lib.sh
source "$repo/tests/bench/lib.sh"

duration=10
customers=2000
while (($#)); do
  case $1 in
    --duration) duration=${2:?--duration needs seconds}; shift 2 ;;
    --customers) customers=${2:?--customers needs a number}; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
done
[[ $duration =~ ^[0-9]+$ ]] || die "--duration takes whole seconds" 64
if [[ ! $customers =~ ^[0-9]+$ ]] || ((customers < 100)); then
  die "--customers takes a whole number of at least 100" 64
fi
require_cmd wrk curl jq psql

work=$(mktemp -d /tmp/appliance-bench-crm.XXXXXX)
chmod 755 "$work"
api_pid=
cleanup() {
  [[ -n $api_pid ]] && kill -TERM "$api_pid" 2>/dev/null
  bench_stack_stop "$work"
  rm -rf -- "$work"
}
trap cleanup EXIT

bench_stack "$work"
binary=$BENCH_BINARY
http_port=$BENCH_HTTP_PORT
export APPLIANCE_RateLimit__PerUserPerMinute=1000000
[[ $APPLIANCE_Database__ConnectionString =~ Port=([0-9]+).*Password=([^;]+) ]] || die "cannot read the benchmark database settings"
export PGHOST=127.0.0.1 PGPORT=${BASH_REMATCH[1]} PGPASSWORD=${BASH_REMATCH[2]} PGUSER=postgres PGDATABASE=postgres

log "seeding $customers customers with 3 contacts and 2 sites each"
psql -q -v ON_ERROR_STOP=1 -v n="$customers" <<'SQL' >/dev/null
INSERT INTO customers (name, city, language)
SELECT 'Firma ' || md5(i::text) || ' ' || i, 'Stadt ' || (i % 50), CASE WHEN i % 4 = 0 THEN 'en' ELSE 'de' END
  FROM generate_series(1, :n) AS i;
INSERT INTO contacts (customer_id, first_name, last_name, email, is_primary)
SELECT c.id, 'Vor' || k, 'Nach ' || c.customer_number, lower(c.customer_number) || '.' || k || '@bench.example', k = 1
  FROM customers c CROSS JOIN generate_series(1, 3) AS k;
INSERT INTO sites (customer_id, name, city) SELECT c.id, 'Sitz ' || k, c.city FROM customers c CROSS JOIN generate_series(1, 2) AS k;
ANALYZE;
SQL
psql -Atq -c "SELECT id FROM customers ORDER BY random() LIMIT 500" >"$work/ids"

admin_password=$(random_alnum 20)
printf '%s' "$admin_password" >"$work/admin-password"
"$binary" create-admin --email bench@msp.example --password-file "$work/admin-password" >/dev/null
"$binary" >"$work/api.log" 2>&1 &
api_pid=$!
wait_http "http://127.0.0.1:$http_port/ready" 30 || die "API did not become ready"
token=$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"bench@msp.example\",\"password\":\"$admin_password\"}" \
  "http://127.0.0.1:$http_port/api/v1/auth/login" | jq -r .access_token)
[[ -n $token && $token != null ]] || die "login failed"

# run NAME PATH [wrk arguments...]: one wrk run, one line of figures
run() {
  local name=$1 path=$2
  shift 2
  wrk -t 2 -c 16 -d "${duration}s" --latency -H "Authorization: Bearer $token" "$@" "http://127.0.0.1:$http_port$path" >"$work/wrk-$name.txt"
  awk -v name="$name" '
    /Requests\/sec/ {rps = $2}
    $1 == "50%" {p50 = $2} $1 == "90%" {p90 = $2} $1 == "99%" {p99 = $2}
    /Non-2xx/ {non2xx = $5}
    END {printf "%-8s rps=%s p50=%s p90=%s p99=%s non_2xx=%d\n", name, rps, p50, p90, p99, non2xx}' "$work/wrk-$name.txt"
}

echo "== CRM benchmark ($(nproc) cores, $customers customers, wrk -t2 -c16 -d${duration}s, $(date -u +%FT%TZ))"
first=$(head -n 1 "$work/ids")
run list "/api/v1/customers"
run search "/api/v1/customers?search=$(psql -Atq -c "SELECT substr(md5('17'), 3, 6)")"
run include "/api/v1/customers?limit=100&include=contacts,sites&fields=id,name"
run get "/api/v1/customers/$first"
export BENCH_IDS_FILE=$work/ids
run patch "/api/v1/customers" -s "$repo/tests/bench/crm-patch.lua"
echo "audit_rows=$(psql -Atq -c "SELECT count(*) FROM audit_log WHERE action = 'updated'") outbox_rows=$(psql -Atq -c "SELECT count(*) FROM outbox_events WHERE event_type = 'customer.updated'")"
