#!/usr/bin/env bash
# Usage: tests/bench/auth.sh [--duration SECONDS]
#
# Benchmarks identity on this machine:
#   1. login throughput of the published API (wrk, 2 threads, 8 connections, correct password: each login is
#      one PBKDF2 verification, deliberately slow, plus a refresh-token insert and an audit row)
#   2. the latency authentication adds to every request: RS256 validation of an access token plus the Redis
#      revocation check, measured in-process over 20,000 iterations (target p95 <= 0.3 ms on loopback)
# Starts its own throwaway PostgreSQL and Redis on free loopback ports and stops them on exit.
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
while (($#)); do
  case $1 in
    --duration) duration=${2:?--duration needs seconds}; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
done
[[ $duration =~ ^[0-9]+$ ]] || die "--duration takes whole seconds" 64
require_cmd wrk curl dotnet

work=$(mktemp -d /tmp/appliance-bench-auth.XXXXXX)
chmod 755 "$work"
api_pid=
cleanup() {
  [[ -n $api_pid ]] && kill -TERM "$api_pid" 2>/dev/null
  bench_stack_stop "$work"
  rm -rf -- "$work"
}
trap cleanup EXIT

log "building the micro-benchmark"
dotnet build "$repo/tests/bench/Appliance.Bench/Appliance.Bench.csproj" -c Release -o "$work/bench" -v quiet -nologo >"$work/bench-build.log" 2>&1 ||
  { tail -n 20 "$work/bench-build.log"; die "benchmark build failed"; }
bench_stack "$work"
binary=$BENCH_BINARY
http_port=$BENCH_HTTP_PORT
redis_port=$BENCH_REDIS_PORT
redis_password=$BENCH_REDIS_PASSWORD
admin_password=$(random_alnum 20)
printf '%s' "$admin_password" >"$work/admin-password"
"$binary" create-admin --email bench@msp.example --password-file "$work/admin-password" >/dev/null

# One client address sends every sign-in here; the anonymous per-address limit (300 a minute) would answer most of
# them 429 and the figure would measure the limiter, not the sign-in.
APPLIANCE_RateLimit__PerIpPerMinute=1000000 "$binary" >"$work/api.log" 2>&1 &
api_pid=$!
wait_http "http://127.0.0.1:$http_port/ready" 30 || die "API did not become ready"

echo "== identity benchmark ($(nproc) cores, $(date -u +%FT%TZ))"
export BENCH_LOGIN_BODY="{\"email\":\"bench@msp.example\",\"password\":\"$admin_password\"}"
wrk -t 2 -c 8 -d "${duration}s" --latency -s "$repo/tests/bench/login.lua" "http://127.0.0.1:$http_port/api/v1/auth/login" >"$work/wrk.txt"
non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt")
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
echo "login_rps=$rps latency_p50=$p50 latency_p99=$p99 non_2xx=${non2xx:-0} (wrk -t2 -c8 -d${duration}s; PBKDF2-HMAC-SHA512, 100,000 iterations per login)"
"$work/bench/Appliance.Bench" auth-check "127.0.0.1:$redis_port" "$redis_password" 20000
