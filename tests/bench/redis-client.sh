#!/usr/bin/env bash
# Usage: tests/bench/redis-client.sh [--duration SECONDS]
#
# Benchmarks the appliance's Redis client (src/Appliance.Platform/Redis, StackExchange.Redis) on loopback: GET of one
# 32-byte key with 1 and 64 concurrent callers sharing one multiplexer (as the API does), printing ops/s and
# p50/p95/p99 latency, then `redis-benchmark -t get` against the same server with 1 and 64 connections as a
# reference. It starts its own throwaway redis-server on a free 127.0.0.1 port and stops it on exit.
# Only 127.0.0.1 is contacted.
#
# Exit codes: 0 figures printed; 1 a step failed; 64 bad arguments; 69 a required tool is missing.
set -Eeuo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../lib/common.sh
source "$repo/lib/common.sh"
# shellcheck source=../../lib/localstack.sh
source "$repo/lib/localstack.sh"

duration=5
while (($#)); do
  case $1 in
    --duration) duration=${2:?--duration needs seconds}; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
done
[[ $duration =~ ^[1-9][0-9]*$ ]] || die "--duration takes a whole number of seconds > 0" 64

require_cmd dotnet redis-server redis-benchmark redis-cli

work=$(mktemp -d /tmp/appliance-redis-bench.XXXXXX)
cleanup() {
  redis_stop "$work/redis" || true
  rm -rf -- "$work"
}
trap cleanup EXIT

project=$repo/tests/bench/Appliance.RedisBench/Appliance.RedisBench.csproj
log "building the benchmark (Release)"
dotnet build "$project" -c Release -o "$work/bin" -v quiet -nologo >"$work/build.log" 2>&1 || { tail -n 20 "$work/build.log"; die "build failed"; }

password=$(random_alnum 24)
port=$(free_port)
redis_start "$work/redis" "$port" "$password" "$work/redis.log" || die "Redis did not start"

echo "== Redis client GET benchmark ($(nproc) cores, $(date -u +%FT%TZ), $(redis-server --version | awk '{print $3}'), ${duration}s per level)"
"$work/bin/Appliance.RedisBench" "$port" "$password" "$duration" 1 64

requests=$((duration * 20000))
for clients in 1 64; do
  # -q prints one summary line: "GET: N requests per second, p50=X msec". The password on the command line
  # is a throwaway one for this private server.
  summary=$(redis-benchmark -h 127.0.0.1 -p "$port" -a "$password" -t get -c "$clients" -n "$requests" -d 32 -q 2>/dev/null |
    tr '\r' '\n' | grep -E '^GET: [0-9.]+ requests per second' | tail -n 1)
  [[ -n $summary ]] || die "redis-benchmark printed no summary (-c $clients)"
  echo "redis-benchmark -t get -c $clients -n $requests: ${summary#GET: }"
done
