#!/usr/bin/env bash
# Usage: tests/bench/api-health.sh [--runs N] [--duration SECONDS]
#
# Benchmarks the published API binary (self-contained, trimmed, ReadyToRun, single file) on this machine:
#   1. start to first successful GET /health      (median of N runs; target <= 300 ms)
#   2. resident memory after 10,000 GET /health   (target <= 80 MB)
#   3. /health throughput with wrk                (2 threads, 64 connections, keep-alive)
# It starts its own throwaway PostgreSQL and Redis on free loopback ports and stops them on exit.
# Set APPLIANCE_PUBLISHED_API to an already published binary to skip the publish step.
# Only 127.0.0.1 is contacted.
#
# Exit codes: 0 figures printed; 1 a step failed; 64 bad arguments; 69 a required tool is missing.
set -Eeuo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../lib/common.sh
source "$repo/lib/common.sh"
# shellcheck source=../../lib/localstack.sh
source "$repo/lib/localstack.sh"

runs=5
duration=10
while (($#)); do
  case $1 in
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --duration) duration=${2:?--duration needs seconds}; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
done
[[ $runs =~ ^[0-9]+$ && $duration =~ ^[0-9]+$ ]] || die "--runs and --duration take whole numbers" 64

require_cmd python3 wrk curl dotnet

work=$(mktemp -d /tmp/appliance-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
  pg_stop "$work/pg" || true
  redis_stop "$work/redis" || true
  rm -rf -- "$work"
}
trap cleanup EXIT

binary=${APPLIANCE_PUBLISHED_API:-}
if [[ -z $binary ]]; then
  log "publishing the API (Release, linux-x64, self-contained)"
  dotnet publish "$repo/src/Appliance.Api/Appliance.Api.csproj" -c Release -r linux-x64 --self-contained \
    -o "$work/api" -v quiet -nologo >"$work/publish.log" 2>&1 || { tail -n 20 "$work/publish.log"; die "publish failed"; }
  binary=$work/api/appliance-api
fi

pg_password=$(random_alnum 24)
redis_password=$(random_alnum 24)
pg_port=$(free_port)
redis_port=$(free_port)
http_port=$(free_port)
pg_start "$work/pg" "$pg_port" "$work/pgsock" "$work/pg.log" "$pg_password" --fast || die "PostgreSQL did not start"
redis_start "$work/redis" "$redis_port" "$redis_password" "$work/redis.log" || die "Redis did not start"

mkdir -p "$work/etc"
export APPLIANCE_CONFIG_DIR=$work/etc
export APPLIANCE_Database__ConnectionString="Host=127.0.0.1;Port=$pg_port;Database=postgres;Username=postgres;Password=$pg_password"
export APPLIANCE_Redis__Endpoint="127.0.0.1:$redis_port"
export APPLIANCE_Redis__Password=$redis_password
export APPLIANCE_Http__Url="http://127.0.0.1:$http_port"
export APPLIANCE_Identity__KeyDirectory=$work/keys
"$binary" keys generate --dir "$work/keys" >/dev/null
"$binary" migrate >/dev/null

echo "== API /health benchmark ($(nproc) cores, $(date -u +%FT%TZ), binary $(du -h "$binary" | cut -f1))"
python3 "$repo/tests/bench/health_probe.py" startup "$binary" "$http_port" "$runs"
python3 "$repo/tests/bench/health_probe.py" memory "$binary" "$http_port" 10000

"$binary" >"$work/api.log" 2>&1 &
api_pid=$!
wait_http "http://127.0.0.1:$http_port/health" 30 || die "API did not become healthy"
wrk -t 2 -c 64 -d "${duration}s" --latency "http://127.0.0.1:$http_port/health" >"$work/wrk.txt"
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$api_pid/status")
echo "health_throughput_rps=$rps latency_p50=$p50 latency_p99=$p99 rss_mb_after_wrk=$rss (wrk -t2 -c64 -d${duration}s, load generator on the same 2 cores)"
kill -TERM "$api_pid"
wait "$api_pid" || true
