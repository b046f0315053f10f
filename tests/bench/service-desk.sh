#!/usr/bin/env bash
# Usage: tests/bench/service-desk.sh [--duration SECONDS] [--rate RPS] [--search-rate RPS] [--create-rate RPS]
#                                    [--tickets N] [--cache DIR] [--capacity [--mixes get,list,search,create]]
#
# Service-desk load benchmark on the 1,000,000-ticket MSP (tests/bench/generate-msp.sh builds it once and caches
# it; each run starts a copy). The published API runs against durable PostgreSQL (fsync and synchronous commit
# on) and Redis on loopback; tests/bench/Appliance.LoadGen sends requests at a fixed rate (open loop, latency from
# each request's due time) as a signed-in service manager and prints RPS, p50/p95/p99 and the CPU milliseconds per
# request of the API, PostgreSQL, Redis and the generator (cpu_ms_per_req) for:
#   get     GET  /api/v1/tickets/{id}                            (random tickets)                  --rate
#   list    GET  /api/v1/tickets?<two filters>&sort=...          (queue views of random customers,
#                                                                 technicians, statuses, priorities) --rate
#   search  GET  /api/v1/tickets?search=<words or error code>    (German and English, ranked)      --search-rate
#   create  POST /api/v1/tickets                                 (SLA, auto-assignment, audit row,
#                                                                 outbox event, in one transaction) --create-rate
# then one verdict line per target (list and get p95 <= 10 ms at 1,000/s; search p95 <= 50 ms; create >= 1,000/s
# sustained: at least 98 % of the offered rate answered 201 with p95 <= 200 ms, the seeds' floor, so a server
# that only keeps up by queueing does not count). p95_last_fifth shows whether the tail was still growing. Defaults: --duration 30, --rate 1000, --search-rate 50,
# --create-rate 1000, --tickets 1000000. Set APPLIANCE_PUBLISHED_API to skip the publish step.
#
# --capacity finds, for each mix of --mixes (default all four), the highest offered rate that still meets its p95
# (10 ms get and list, 50 ms search, 200 ms create) with 0 errors and at least 98 % of the offered rate answered:
# the rate steps up by a quarter from a start (get 2,000/s, list 1,500/s, search 100/s, create 800/s) until a step
# misses, then halves the gap between the last met and the first missed rate twice. --duration is the length of
# each step (default 10 in this mode). Each step's figures (a "step" line), one "capacity" line per mix, then its
# verdict against the issue's floor (get >= 6,000/s, list >= 4,000/s, search >= 300/s, create >= 2,000/s).
#
# Exit codes: 0 figures printed (also when a target is missed: the verdict lines say so); 1 a step failed;
# 64 bad arguments; 69 a required tool is missing.
set -Eeuo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../lib/common.sh
source "$repo/lib/common.sh"
# shellcheck source=../../lib/localstack.sh
source "$repo/lib/localstack.sh"
# shellcheck source=lib.sh
source "$repo/tests/bench/lib.sh"

duration=30
rate=1000
search_rate=50
create_rate=1000
tickets=1000000
cache_args=()
capacity=0
duration_given=0
mixes=get,list,search,create
# need_value OPTION VALUE...: an option that takes a value got a non-empty one (else exit 64)
need_value() {
  if (($# < 2)) || [[ -z $2 ]]; then
    die "$1 needs a value" 64
  fi
}
while (($#)); do
  case $1 in
    --duration) need_value "$@"; duration=$2; duration_given=1; shift 2 ;;
    --rate) need_value "$@"; rate=$2; shift 2 ;;
    --search-rate) need_value "$@"; search_rate=$2; shift 2 ;;
    --create-rate) need_value "$@"; create_rate=$2; shift 2 ;;
    --tickets) need_value "$@"; tickets=$2; shift 2 ;;
    --cache) need_value "$@"; cache_args=(--cache "$2"); shift 2 ;;
    --capacity) capacity=1; shift ;;
    --mixes) need_value "$@"; mixes=$2; shift 2 ;;
    -h | --help) sed -n '2,29p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
done
for number in "$duration" "$rate" "$search_rate" "$create_rate" "$tickets"; do
  [[ $number =~ ^[1-9][0-9]*$ ]] || die "durations, rates and sizes are whole numbers of at least 1 (got '$number')" 64
done
[[ $mixes =~ ^(get|list|search|create)(,(get|list|search|create))*$ ]] ||
  die "--mixes is a comma-separated list of get, list, search and create (got '$mixes')" 64
if ((capacity && !duration_given)); then
  duration=10
fi
require_cmd curl jq psql dotnet

work=$(mktemp -d /tmp/appliance-bench-desk.XXXXXX)
chmod 755 "$work"
api_pid=
cleanup() {
  # An API that already ended must not keep PostgreSQL and Redis running (errexit would stop here).
  [[ -z $api_pid ]] || kill -TERM "$api_pid" 2>/dev/null || true
  bench_stack_stop "$work"
  rm -rf -- "$work"
}
trap cleanup EXIT
# A signal ends the run through exit, so the EXIT trap stops what was started.
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z ${APPLIANCE_PUBLISHED_API:-} ]]; then
  log "publishing the API (Release, linux-x64, self-contained)"
  dotnet publish "$repo/src/Appliance.Api/Appliance.Api.csproj" -c Release -r linux-x64 --self-contained \
    -o "$work/api" -v quiet -nologo >"$work/publish.log" 2>&1 || { tail -n 20 "$work/publish.log"; die "publish failed"; }
  export APPLIANCE_PUBLISHED_API=$work/api/appliance-api
fi
log "building the load generator"
dotnet build "$repo/tests/bench/Appliance.LoadGen/Appliance.LoadGen.csproj" -c Release -o "$work/loadgen" -v quiet -nologo \
  >"$work/loadgen-build.log" 2>&1 || { tail -n 20 "$work/loadgen-build.log"; die "load generator build failed"; }

dataset=$("$repo/tests/bench/generate-msp.sh" --tickets "$tickets" "${cache_args[@]}")
log "starting a copy of $dataset"
cp -a --reflink=auto -- "$dataset/pg" "$work/pg"
# As provisioning/postgres.sh configures the appliance (no JIT, SSD page costs, checkpoints spaced out), with the
# memory of an 8 GB database container.
cat >>"$work/pg/postgresql.auto.conf" <<'CONF'
shared_buffers = '2GB'
effective_cache_size = '6GB'
random_page_cost = 1.1
jit = off
max_wal_size = '4GB'
checkpoint_timeout = '15min'
CONF
BENCH_PG_PASSWORD=$(<"$dataset/password") BENCH_PG_DURABLE=1 bench_stack "$work"
binary=$BENCH_BINARY
http_port=$BENCH_HTTP_PORT
base=http://127.0.0.1:$http_port
export APPLIANCE_RateLimit__PerUserPerMinute=1000000
[[ $APPLIANCE_Database__ConnectionString =~ Port=([0-9]+).*Password=([^;]+) ]] || die "cannot read the benchmark database settings"
export PGHOST=127.0.0.1 PGPORT=${BASH_REMATCH[1]} PGPASSWORD=${BASH_REMATCH[2]} PGUSER=postgres PGDATABASE=postgres
# Warm the caches the way a running appliance has them (tables and the indexes the queries use).
psql -Atq -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
  -c "SELECT sum(pg_prewarm(c.oid::regclass)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND c.relname LIKE ANY (ARRAY['tickets%', 'customers%', 'users%', 'ticket_comments%', 'technician_load%', 'sla%'])" >/dev/null

log "preparing request mixes"
psql -Atq -c "SELECT '/api/v1/tickets/' || id FROM tickets ORDER BY hashint8(ticket_number) LIMIT 2000" >"$work/get.paths"
psql -Atq >"$work/list.paths" <<'SQL'
WITH customers AS (SELECT id, row_number() OVER () AS n FROM (SELECT id FROM customers ORDER BY hashtext(customer_number) LIMIT 300) s),
     techs AS (SELECT id, row_number() OVER () AS n FROM (SELECT id FROM users WHERE role LIKE 'technician%' ORDER BY hashtext(email) LIMIT 150) s)
SELECT path FROM (
  SELECT n, '/api/v1/tickets?customer_id=' || id || '&status=' || (ARRAY['closed', 'in_progress', 'resolved', 'closed'])[1 + n % 4] || '&sort=-created_at' AS path FROM customers
  UNION ALL
  SELECT n, '/api/v1/tickets?assigned_to=' || id || '&status=' || (ARRAY['in_progress', 'waiting_customer', 'closed'])[1 + n % 3] || '&sort=-created_at' FROM techs
  UNION ALL
  SELECT n, '/api/v1/tickets?status=' || s || '&priority=' || p || '&sort=-created_at'
    FROM unnest(ARRAY['new', 'assigned', 'in_progress', 'waiting_customer', 'resolved', 'closed']) WITH ORDINALITY AS st(s, n)
   CROSS JOIN unnest(ARRAY['low', 'medium', 'high', 'critical']) AS pr(p)
) mix ORDER BY hashtext(path);
SQL
{
  for words in drucker druckt%20nicht zertifikatsfehler certificate%20error firewall%20verbindung outlook%20synchronisiert \
    vpn%20slow teams scanner warenwirtschaft printer%20not%20printing datensicherung%20langsam wi-fi telefonanlage; do
    printf '/api/v1/tickets?search=%s\n' "$words"
    printf '/api/v1/tickets?search=%s&status=closed\n' "$words"
  done
  psql -Atq -c "SELECT '/api/v1/tickets?search=E' || (hashint4(g) & 65535) % 50000 FROM generate_series(1, 30) g"
  psql -Atq -c "SELECT '/api/v1/tickets?search=' || ticket_number FROM tickets ORDER BY hashint8(ticket_number) LIMIT 30"
} | sort -R --random-source=<(yes) >"$work/search.paths"
psql -Atq -c "SELECT id FROM customers ORDER BY hashtext(customer_number) LIMIT 500" >"$work/customers"
cat >"$work/create.json" <<'JSON'
{"title":"Benchmark {i}: Drucker im Büro druckt nicht","description":"<p>Seit heute Morgen druckt der <strong>Etagendrucker</strong> nicht mehr (Lauf {i}).</p>","customer_id":"{v}","priority":"medium","category":"printing","tags":["bench"],"source":"api"}
JSON

admin_password=$(random_alnum 20)
printf '%s' "$admin_password" >"$work/admin-password"
"$binary" create-admin --email bench-admin@msp.example --password-file "$work/admin-password" >/dev/null
psql -q -c "UPDATE users SET role = 'service_manager' WHERE email = 'bench-admin@msp.example'"
"$binary" >"$work/api.log" 2>&1 &
api_pid=$!
wait_http "$base/ready" 30 || { tail -n 20 "$work/api.log" >&2; die "API did not become ready"; }
token=$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"bench-admin@msp.example\",\"password\":\"$admin_password\"}" \
  "$base/api/v1/auth/login" | jq -r .access_token)
[[ -n $token && $token != null ]] || die "login failed"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base$(head -n 1 "$work/list.paths")")
[[ $status == 200 ]] || die "a list request answered $status"

# load LABEL RATE [LoadGen arguments...]: 5 s warm-up, then DURATION seconds measured; one line of figures, ending
# with the CPU time per request of the API, PostgreSQL (postmaster and backends), Redis and the generator itself
load() {
  local label=$1 load_rate=$2
  shift 2
  "$work/loadgen/Appliance.LoadGen" --base "$base" --rate "$load_rate" --duration "$duration" --warmup 5 --label "$label" \
    --header "Authorization: Bearer $token" --cpu "api=$api_pid" --cpu "pg=$pg_main_pid" --cpu "redis=$redis_main_pid" "$@" |
    tee -a "$work/results"
}
pg_main_pid=$(pg_pid "$work/pg")
redis_main_pid=$(redis_pid "$work/redis")

tickets_now=$(psql -Atq -c "SELECT count(*) FROM tickets")

# mix_args MIX: the LoadGen arguments of one request mix
mix_args() {
  case $1 in
    get) printf '%s\n' --paths-file "$work/get.paths" ;;
    list) printf '%s\n' --paths-file "$work/list.paths" ;;
    search) printf '%s\n' --paths-file "$work/search.paths" ;;
    create) printf '%s\n' --method POST --path /api/v1/tickets --body-template "$work/create.json" --values-file "$work/customers" ;;
  esac
}

# run_mix MIX RATE: one load run of MIX at RATE; prints LoadGen's line
run_mix() {
  local -a extra
  mapfile -t extra < <(mix_args "$1")
  load "$1" "$2" "${extra[@]}"
}

# field LINE NAME: the number LoadGen printed as NAME=... in LINE
field() {
  awk -v name="$2" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) { print kv[2] + 0; exit } } }' <<<"$1"
}

# meets LINE TARGET-P95-MS RATE: p95 within target, 0 errors and >= 98 % of RATE answered
meets() {
  awk -v p95="$(field "$1" p95)" -v errors="$(field "$1" errors)" -v achieved="$(field "$1" achieved)" \
    -v target="$2" -v rate="$3" 'BEGIN { exit !(p95 <= target && errors == 0 && achieved >= rate * 0.98) }'
}

if ((capacity)); then
  echo "== Service desk capacity ($(nproc) cores, $tickets_now tickets, ${duration}s per step after 5 s warm-up, $(date -u +%FT%TZ))"
  declare -A start_rate=([get]=2000 [list]=1500 [search]=100 [create]=800)
  declare -A target_p95=([get]=10 [list]=10 [search]=50 [create]=200)
  declare -A floor_rate=([get]=6000 [list]=4000 [search]=300 [create]=2000)
  IFS=, read -r -a selected <<<"$mixes"
  for mix in "${selected[@]}"; do
    target=${target_p95[$mix]}
    step_rate=${start_rate[$mix]}
    met_rate=0 met_line='' missed_rate=0 missed_line=''
    while ((step_rate <= 100000)); do
      line=$(run_mix "$mix" "$step_rate" | tail -n 1)
      echo "  step $line"
      if meets "$line" "$target" "$step_rate"; then
        met_rate=$step_rate met_line=$line
        step_rate=$((step_rate + (step_rate + 3) / 4))
      else
        missed_rate=$step_rate missed_line=$line
        break
      fi
    done
    # Two halvings of the gap between the last met and the first missed rate (from 0 when even the start missed).
    for _ in 1 2; do
      ((missed_rate > 0 && missed_rate - met_rate > 1)) || break
      step_rate=$(((met_rate + missed_rate) / 2))
      line=$(run_mix "$mix" "$step_rate" | tail -n 1)
      echo "  step $line"
      if meets "$line" "$target" "$step_rate"; then
        met_rate=$step_rate met_line=$line
      else
        missed_rate=$step_rate missed_line=$line
      fi
    done
    summary="capacity $mix $met_rate/s"
    [[ -z $met_line ]] || summary+=" (p95 $(field "$met_line" p95) ms, target $target ms)"
    [[ -z $missed_line ]] || summary+="; missed at $missed_rate/s: p95 $(field "$missed_line" p95) ms, $(field "$missed_line" errors) errors"
    echo "$summary"
    if ((met_rate >= ${floor_rate[$mix]})); then verdict_word=met; else verdict_word=MISSED; fi
    printf 'target capacity %-6s %d/s >= %d/s: %s\n' "$mix" "$met_rate" "${floor_rate[$mix]}" "$verdict_word"
  done
  exit 0
fi

echo "== Service desk benchmark ($(nproc) cores, $tickets_now tickets, ${duration}s per run after 5 s warm-up, $(date -u +%FT%TZ))"
load get "$rate" --paths-file "$work/get.paths"
load list "$rate" --paths-file "$work/list.paths"
load search "$search_rate" --paths-file "$work/search.paths"
load create "$create_rate" --method POST --path /api/v1/tickets --body-template "$work/create.json" --values-file "$work/customers"
created=$(psql -Atq -c "SELECT count(*) FROM tickets WHERE 'bench' = ANY (tags)")
events=$(psql -Atq -c "SELECT count(*) FROM outbox_events WHERE event_type = 'ticket.created'")
echo "created_tickets=$created ticket.created_events=$events"

# verdict LABEL TARGET-P95-MS [MIN-RATE]: compares the line LoadGen printed with the issue's target
verdict() {
  awk -v label="$1" -v target="$2" -v min_rate="${3:-0}" '
    $1 == label {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      achieved = v["achieved"] + 0; p95 = v["p95"] + 0; errors = v["errors"] + 0
      ok = p95 <= target && errors == 0 && achieved >= min_rate
      printf "target %-6s p95 %.2f ms <= %d ms%s, %d errors: %s\n", label, p95, target,
        (min_rate > 0 ? sprintf(", %d/s >= %d/s", achieved, min_rate) : ""), errors, (ok ? "met" : "MISSED")
    }' "$work/results"
}
verdict get 10
verdict list 10
verdict search 50
verdict create 200 "$((create_rate * 98 / 100))"
