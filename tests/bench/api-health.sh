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
# shellcheck source=lib.sh
source "$repo/tests/bench/lib.sh"

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
  bench_stack_stop "$work"
  rm -rf -- "$work"
}
trap cleanup EXIT

bench_stack "$work"
binary=$BENCH_BINARY
http_port=$BENCH_HTTP_PORT

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
