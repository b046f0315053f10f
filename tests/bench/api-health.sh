#!/usr/bin/env bash
# Usage: tests/bench/api-health.sh [--runs N] [--requests N] [--duration SECONDS] [--before BINARY] [--after BINARY]
#
# The API's release build before and after Native AOT, side by side in one run on this machine:
#   before  the same source published as it shipped until issue 11: trimmed, ReadyToRun, single file
#           (dotnet publish -p:ApplianceReleaseShape=single-file)
#   after   the release build as it ships: Native AOT (src/Publish.props)
# Each build is measured against the same throwaway PostgreSQL and Redis (free loopback ports, stopped on exit):
#   1. start to first successful GET /health: median of N starts (default 7), the two builds alternating run by
#      run, and the CPU time the process used until then; target for after <= 100 ms
#   2. resident memory after 10,000 sequential GET /health (--requests); target for after <= 50 MB
#   3. /health throughput with wrk (2 threads, 64 connections, keep-alive, --duration seconds, 0 skips it)
# --before / --after take already published binaries instead of publishing (APPLIANCE_PUBLISHED_API is taken as
# --after). Symbols and publish logs stay in a temporary directory that is removed. Only 127.0.0.1 is contacted.
#
# Exit codes: 0 figures printed (a missed target is printed as "missed"); 1 a step failed; 64 bad arguments;
# 69 a required tool is missing.
set -Eeuo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../lib/common.sh
source "$repo/lib/common.sh"
# shellcheck source=../../lib/localstack.sh
source "$repo/lib/localstack.sh"
# shellcheck source=lib.sh
source "$repo/tests/bench/lib.sh"

runs=7
requests=10000
duration=10
before=''
after=${APPLIANCE_PUBLISHED_API:-}
while (($#)); do
  case $1 in
    --runs | --requests | --duration | --before | --after)
      if (($# < 2)) || [[ -z $2 ]]; then
        die "$1 needs a value" 64
      fi
      case $1 in
        --runs) runs=$2 ;;
        --requests) requests=$2 ;;
        --duration) duration=$2 ;;
        --before) before=$2 ;;
        --after) after=$2 ;;
      esac
      shift 2
      ;;
    -h | --help) sed -n '2,/^set -E/{/^set -E/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
done
if ! [[ $runs =~ ^[0-9]+$ && $requests =~ ^[0-9]+$ && $duration =~ ^[0-9]+$ ]] || ((runs < 1 || requests < 1)); then
  die "--runs and --requests take whole numbers of at least 1, --duration a whole number of seconds" 64
fi
for bin in "$before" "$after"; do
  [[ -z $bin || -x $bin ]] || die "not an executable binary: '$bin'" 64
done

require_cmd python3 curl
((duration == 0)) || require_cmd wrk
[[ -n $before && -n $after ]] || require_cmd dotnet

work=$(mktemp -d /tmp/appliance-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
  bench_stack_stop "$work"
  rm -rf -- "$work"
}
trap cleanup EXIT

# publish SHAPE DIR: the API as ApplianceReleaseShape=SHAPE into DIR/api (its symbols land in DIR/symbols).
publish() {
  local shape=$1 dir=$2
  local -a extra=()
  # The old shape is only measured, never shipped: since issue 11 the trimmer reports a whole-assembly warning for
  # System.Private.Xml (IL2104), which must not stop the comparison. The shipped AOT build keeps warnings as errors.
  [[ $shape == aot ]] || extra=(-p:TreatWarningsAsErrors=false)
  log "publishing the API as $shape (Release, linux-x64, self-contained)"
  dotnet publish "$repo/src/Appliance.Api/Appliance.Api.csproj" -c Release -r linux-x64 --self-contained \
    -p:ApplianceReleaseShape="$shape" "${extra[@]}" -o "$dir/api" -v quiet -nologo >"$dir.publish.log" 2>&1 ||
    { tail -n 20 -- "$dir.publish.log"; die "publish ($shape) failed"; }
}
# The "before" shape first, so that the build tree is left in the release shape.
if [[ -z $before ]]; then
  publish single-file "$work/before"
  before=$work/before/api/appliance-api
fi
if [[ -z $after ]]; then
  publish aot "$work/after"
  after=$work/after/api/appliance-api
fi

APPLIANCE_PUBLISHED_API=$after bench_stack "$work"
http_port=$BENCH_HTTP_PORT

size_mb() { du -m --apparent-size -- "$1" | cut -f1; }

echo "== API /health benchmark, before and after Native AOT ($(nproc) cores, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "before binary: $(size_mb "$before") MB ($before)"
echo "after  binary: $(size_mb "$after") MB ($after)"
python3 "$repo/tests/bench/health_probe.py" startup "$http_port" "$runs" "before=$before" "after=$after" | tee "$work/startup.txt"
python3 "$repo/tests/bench/health_probe.py" memory "$http_port" "$requests" "before=$before" "after=$after" | tee "$work/memory.txt"

if ((duration > 0)); then
  for label in before after; do
    bin=$before
    [[ $label == after ]] && bin=$after
    "$bin" >"$work/api-$label.log" 2>&1 &
    api_pid=$!
    wait_http "http://127.0.0.1:$http_port/health" 30 || die "$label: the API did not become healthy"
    wrk -t 2 -c 64 -d "${duration}s" --latency "http://127.0.0.1:$http_port/health" >"$work/wrk-$label.txt"
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-$label.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$work/wrk-$label.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk-$label.txt")
    rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$api_pid/status")
    echo "$label health_throughput_rps=$rps latency_p50=$p50 latency_p99=$p99 rss_mb_after_wrk=$rss (wrk -t2 -c64 -d${duration}s, same cores)"
    kill -TERM "$api_pid"
    wait "$api_pid" || true
  done
fi

echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (start-up times stretch with it; cpu_ms hardly does)"
# target LABEL VALUE LIMIT UNIT
target() {
  local verdict=missed
  awk -v v="$2" -v l="$3" 'BEGIN { exit !(v <= l) }' && verdict=met
  echo "target $1 $2 $4 <= $3 $4: $verdict"
}
startup_after=$(sed -n 's/^after startup_to_first_health_ms .* median=\([0-9.]*\).*/\1/p' "$work/startup.txt")
rss_after=$(sed -n "s/^after rss_mb_after_${requests}_health_requests=\([0-9.]*\).*/\1/p" "$work/memory.txt")
target "after start to first /health, median" "$startup_after" 100 ms
target "after RSS after $requests /health" "$rss_after" 50 MB
