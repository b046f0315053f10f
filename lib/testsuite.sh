# Usage: source "<repo>/lib/testsuite.sh"   (sourced, never executed; `./appliance test` calls cmd_test)
# shellcheck shell=bash
#
# The test runner of `./appliance test`: starts a throwaway PostgreSQL and Redis on free loopback ports, builds,
# publishes the API (Native AOT) and the worker, runs every tests/*/*.csproj, dotnet format, shellcheck, the bats
# suites in tests/ops and (as root with lxc) tests/lxc/run-appliance.sh, stops what it started (also on failure)
# and ends with the line "N passed, N failed".
#
#   cmd_test   run everything from ROOT; exit 1 when anything failed
#
# Needs: ROOT (the repository), API_PROJECT and WORKER_PROJECT (paths relative to ROOT), and lib/common.sh,
# lib/localstack.sh and lib/testrun.sh sourced. The environment the suites get is described in ./appliance's header.

if [[ -n "${_APPLIANCE_TESTSUITE_SH:-}" ]]; then
  return 0
fi
_APPLIANCE_TESTSUITE_SH=1

T_PASSED=0
T_FAILED=0
T_DIR=''

t_color() {
  local code=$1 text=$2
  if use_color; then
    printf '\033[%sm%s\033[0m' "$code" "$text"
  else
    printf '%s' "$text"
  fi
}

# suite NAME PASSED FAILED SECONDS [NOTE]: add to the totals, print one summary line.
t_suite() {
  local name=$1 passed=$2 failed=$3 secs=$4 note=${5:-} verdict
  T_PASSED=$((T_PASSED + passed))
  T_FAILED=$((T_FAILED + failed))
  if ((failed > 0)); then
    verdict=$(t_color 31 FAIL)
  else
    verdict=$(t_color 32 ' ok ')
  fi
  printf '[%s] %-34s %4d passed, %4d failed  %4ss%s\n' "$verdict" "$name" "$passed" "$failed" "$secs" "${note:+  ($note)}"
}

# Show the interesting part of a failing suite's output.
t_show() {
  local file=$1 lines=${2:-60}
  [[ -s "$file" ]] || return 0
  printf -- '----- %s (last %s lines) -----\n' "${file#"$T_DIR"/}" "$lines"
  tail -n "$lines" -- "$file"
  printf -- '-----\n'
}

t_cleanup() {
  [[ -n "$T_DIR" && -d "$T_DIR" ]] || return 0
  {
    redis_stop "$T_DIR/redis" || true
    pg_stop "$T_DIR/pg" || true
  } >/dev/null 2>&1
  if [[ -d "$T_DIR/results" || -d "$T_DIR/logs" ]]; then
    # Kept for CI artifacts and for reading after a failure.
    rm -rf -- "$ROOT/artifacts/test-results"
    mkdir -p -- "$ROOT/artifacts/test-results"
    cp -r -- "$T_DIR/results" "$T_DIR/logs" "$ROOT/artifacts/test-results/" 2>/dev/null || true
  fi
  rm -rf -- "$T_DIR"
  T_DIR=''
}

t_infra() {
  local pgpw redispw pgport redisport log="$T_DIR/logs/infra.log" start=$SECONDS
  pgpw=$(random_alnum 24)
  redispw=$(random_alnum 24)
  if ! {
    pgport=$(free_port) &&
      pg_start "$T_DIR/pg" "$pgport" "$T_DIR/pgsock" "$T_DIR/logs/postgres.log" "$pgpw" --fast &&
      redisport=$(free_port) &&
      redis_start "$T_DIR/redis" "$redisport" "$redispw" "$T_DIR/logs/redis.log"
  } >>"$log" 2>&1; then
    t_suite "infrastructure (postgres, redis)" 0 1 $((SECONDS - start)) "dotnet suites skipped"
    t_show "$log"
    t_show "$T_DIR/logs/postgres.log" 20
    return 1
  fi
  export APPLIANCE_TEST_PG="Host=127.0.0.1;Port=$pgport;Username=postgres;Password=$pgpw;Database=postgres"
  export APPLIANCE_TEST_REDIS="127.0.0.1:$redisport"
  export APPLIANCE_TEST_REDIS_PASSWORD="$redispw"
  export APPLIANCE_TEST_REDIS_PORT="$redisport"
  export APPLIANCE_TEST_REDIS_SERVER_DIR="$T_DIR/redis"
  export APPLIANCE_TEST_REDIS_CONF="$T_DIR/redis/redis.conf"
  log "test: PostgreSQL on 127.0.0.1:$pgport, Redis on 127.0.0.1:$redisport ($T_DIR)"
}

t_build() {
  local log="$T_DIR/logs/build.log" start=$SECONDS
  if ! command -v dotnet >/dev/null 2>&1; then
    t_suite "dotnet build" 0 1 0 "dotnet not on PATH; dotnet suites skipped"
    return 1
  fi
  if [[ ! -f "$ROOT/Appliance.sln" ]]; then
    t_suite "dotnet build" 0 1 0 "Appliance.sln not found; dotnet suites skipped"
    return 1
  fi
  log "test: dotnet build Appliance.sln -c Release"
  if ! run_to "$log" dotnet build Appliance.sln -c Release; then
    t_suite "dotnet build" 0 1 $((SECONDS - start)) "dotnet suites skipped"
    if ! grep -E ': (error|warning) [A-Z]+[0-9]+' -- "$log" | sort -u | head -n 40; then
      t_show "$log" 40
    fi
    return 1
  fi
  printf '[%s] %-34s %s  %4ss\n' "$(t_color 32 ' ok ')" "dotnet build" "(prerequisite, not counted)" $((SECONDS - start))
}

# Publishes one release binary (NAME PROJECT VARIABLE) and exports VARIABLE=<its path> for the suites.
t_publish() {
  local name=$1 project=$2 variable=$3
  local log="$T_DIR/logs/publish-$name.log" start=$SECONDS out="$T_DIR/publish/$name"
  log "test: dotnet publish $project"
  if ! run_to "$log" dotnet publish "$project" -c Release -r linux-x64 --self-contained -o "$out"; then
    t_suite "dotnet publish $name" 0 1 $((SECONDS - start))
    grep -E ': error ' -- "$log" | sort -u | head -n 40 || t_show "$log" 40
    return 0
  fi
  # TreatWarningsAsErrors turns compiler, trim and AOT (ILC) warnings into errors; anything else that still warns
  # (MSBuild, NuGet, the SDK) fails the step too.
  if build_warnings "$log" >"$log.warnings"; then
    t_suite "dotnet publish $name" 0 1 $((SECONDS - start)) "warnings"
    head -n 40 -- "$log.warnings"
    return 0
  fi
  export "$variable=$out/appliance-$name"
  printf '[%s] %-34s %s  %4ss\n' "$(t_color 32 ' ok ')" "dotnet publish $name" "(prerequisite, not counted)" $((SECONDS - start))
}

t_dotnet_tests() {
  local proj name log trx rc counts passed failed start note
  local timeout_s=${APPLIANCE_TEST_TIMEOUT:-1800}
  local -a projects=()
  shopt -s nullglob
  projects=(tests/*/*.csproj)
  shopt -u nullglob
  if ((${#projects[@]} == 0)); then
    log "test: no test projects (tests/*/*.csproj)"
    return 0
  fi
  for proj in "${projects[@]}"; do
    name=$(basename -- "$proj" .csproj)
    log="$T_DIR/logs/$name.log"
    trx="$T_DIR/results/$name.trx"
    start=$SECONDS
    note=''
    log "test: dotnet test $proj"
    rc=0
    run_to "$log" timeout --kill-after=30 "$timeout_s" dotnet test "$proj" -c Release --no-build \
      --logger "trx;LogFileName=$name.trx" --results-directory "$T_DIR/results" || rc=$?
    if counts=$(trx_counts "$trx"); then
      read -r passed failed <<<"$counts"
      # A non-zero exit with nothing failed in the TRX: the run broke after the counters were written.
      if ((rc != 0 && failed == 0)); then
        failed=1
        note="dotnet test exited $rc"
      fi
    elif ((rc == 0)); then
      passed=0 failed=0 note="no TRX: not a test project?"
    else
      passed=0 failed=1 note="no TRX, dotnet test exited $rc"
      ((rc == 124)) && note="timed out after ${timeout_s}s"
    fi
    t_suite "$name" "$passed" "$failed" $((SECONDS - start)) "$note"
    if ((failed > 0)); then
      # Framework stack frames drown the assertion messages.
      grep -v -E '^[[:space:]]+at (System|Microsoft|Xunit)\.' -- "$log" >"$log.short" || true
      t_show "$log.short" 80
    fi
  done
}

t_format() {
  local log="$T_DIR/logs/format.log" start=$SECONDS
  log "test: dotnet format --verify-no-changes"
  if run_to "$log" dotnet format Appliance.sln --verify-no-changes; then
    t_suite "dotnet format" 1 0 $((SECONDS - start))
  else
    t_suite "dotnet format" 0 1 $((SECONDS - start))
    t_show "$log" 40
  fi
}

t_shellcheck() {
  local start=$SECONDS passed=0 failed=0 file out
  local -a files=()
  if ! command -v shellcheck >/dev/null 2>&1; then
    t_suite shellcheck 0 1 0 "shellcheck not installed"
    return 0
  fi
  mapfile -t files < <(list_shell_scripts "$ROOT")
  for file in "${files[@]}"; do
    if out=$(shellcheck -x -- "$file" 2>&1); then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      printf '%s\n' "$out" >>"$T_DIR/logs/shellcheck.log"
    fi
  done
  t_suite "shellcheck (${#files[@]} files)" "$passed" "$failed" $((SECONDS - start))
  ((failed == 0)) || t_show "$T_DIR/logs/shellcheck.log" 100
}

t_bats() {
  local start=$SECONDS tap="$T_DIR/logs/bats.tap" rc=0 counts passed failed skipped note=''
  if ! command -v bats >/dev/null 2>&1; then
    t_suite "bats tests/ops" 0 1 0 "bats not installed"
    return 0
  fi
  shopt -s nullglob
  local -a suites=(tests/ops/*.bats)
  shopt -u nullglob
  if ((${#suites[@]} == 0)); then
    log "test: no bats files in tests/ops"
    return 0
  fi
  log "test: bats --tap tests/ops"
  bats --tap "${suites[@]}" >"$tap" 2>&1 || rc=$?
  read -r passed failed skipped <<<"$(tap_counts "$tap")"
  if ((rc != 0 && failed == 0)); then
    failed=1
    note="bats exited $rc"
  fi
  ((skipped == 0)) || note+="${note:+, }$skipped skipped"
  t_suite "bats tests/ops" "$passed" "$failed" $((SECONDS - start)) "$note"
  ((failed == 0)) || grep -v -E '^ok ' -- "$tap" | head -n 100
}

# The real appliance in LXC containers (tests/lxc/run-appliance.sh) with the release published above:
# runs when root with lxc and debootstrap installed (CI installs them); APPLIANCE_LXC_TEST=1 makes a
# missing prerequisite a failure, APPLIANCE_LXC_TEST=0 skips the suite.
t_lxc() {
  local start=$SECONDS log="$T_DIR/logs/lxc-appliance.log" rc=0 passed failed note='' want=${APPLIANCE_LXC_TEST:-auto}
  [[ "$want" != 0 ]] || return 0
  if ((EUID != 0)) || ! command -v lxc-start >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    if [[ "$want" == 1 ]]; then
      t_suite "LXC appliance" 0 1 0 "needs root, lxc and debootstrap"
    else
      printf '[%s] %-34s %s\n' "skip" "LXC appliance" "(needs root, lxc and debootstrap; not counted)"
    fi
    return 0
  fi
  if [[ -z "${APPLIANCE_PUBLISHED_API:-}" || -z "${APPLIANCE_PUBLISHED_WORKER:-}" ]]; then
    t_suite "LXC appliance" 0 1 0 "no published release"
    return 0
  fi
  log "test: tests/lxc/run-appliance.sh (log $log)"
  "$ROOT/tests/lxc/run-appliance.sh" --release "$T_DIR/publish" >"$log" 2>&1 || rc=$?
  passed=$(grep -c '^PASS ' "$log" || true)
  failed=$(grep -c '^FAIL ' "$log" || true)
  if ((rc != 0 && failed == 0)); then
    failed=1
    note="exit $rc"
  fi
  t_suite "LXC appliance" "$passed" "$failed" $((SECONDS - start)) "$note"
  ((failed == 0)) || t_show "$log" 60
}

cmd_test() {
  cd -- "$ROOT" || return 1
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  if [[ "${CI:-}" == true ]]; then
    export NO_COLOR=1 TERM=dumb
  fi
  if is_dry_run; then
    warn "test: --dry-run only shows the commands; nothing is counted"
  fi
  T_DIR=$(mktemp -d /tmp/appliance-test.XXXXXX)
  # Traversable for the postgres user when we run as root.
  chmod 0755 -- "$T_DIR"
  mkdir -p -- "$T_DIR/logs" "$T_DIR/results" "$T_DIR/publish"
  trap t_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local dotnet_ok=1
  t_infra || dotnet_ok=0
  if ((dotnet_ok)); then
    t_build || dotnet_ok=0
  fi
  if ((dotnet_ok)); then
    t_publish api "$API_PROJECT" APPLIANCE_PUBLISHED_API
    t_publish worker "$WORKER_PROJECT" APPLIANCE_PUBLISHED_WORKER
    t_dotnet_tests
    t_format
  fi
  t_shellcheck
  t_bats
  if ((dotnet_ok)); then
    t_lxc
  fi

  # Stop the servers before the total so that it really is the last line.
  t_cleanup
  printf '%d passed, %d failed\n' "$T_PASSED" "$T_FAILED"
  if ((T_FAILED > 0)); then
    exit 1
  fi
}
