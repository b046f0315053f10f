#!/usr/bin/env bats
# Usage: bats tests/ops/appliance.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# ./appliance: argument parsing, status/stop on an empty state dir, dry-run of `up`.
# `up` is never run for real here (it publishes .NET binaries).
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
  export APPLIANCE_STATE_DIR="$BATS_TEST_TMPDIR/state"
  # A free port each, so that a running developer appliance cannot make these tests flaky.
  APPLIANCE_PG_PORT=$(lib_call free_port)
  APPLIANCE_REDIS_PORT=$(lib_call free_port)
  APPLIANCE_HTTP_PORT=$(lib_call free_port)
  export APPLIANCE_PG_PORT APPLIANCE_REDIS_PORT APPLIANCE_HTTP_PORT
}

@test "no arguments: usage on stderr, exit 64" {
  run -64 --separate-stderr "$REPO_ROOT/appliance"
  [ -z "$output" ]
  [[ "$stderr" == *"Usage: ./appliance [--dry-run] COMMAND"* ]]
  [[ "$stderr" == *"ERROR: expected exactly one command"* ]]
}

@test "unknown command: usage, exit 64" {
  run -64 --separate-stderr "$REPO_ROOT/appliance" frobnicate
  [[ "$stderr" == *"Usage: ./appliance"* ]]
  [[ "$stderr" == *"unknown command 'frobnicate'"* ]]
}

@test "two commands: exit 64" {
  run -64 "$REPO_ROOT/appliance" up stop
}

@test "help prints the usage with commands and exit codes on stdout" {
  run -0 "$REPO_ROOT/appliance" help
  [[ "$output" == *"Usage: ./appliance"* ]]
  [[ "$output" == *"Exit codes:"* ]]
  for cmd in up stop status test; do
    [[ "$output" == *"  $cmd "* ]]
  done
  run -0 "$REPO_ROOT/appliance" --help
}

@test "a non-numeric port is a usage error" {
  APPLIANCE_PG_PORT=abc run -64 --separate-stderr "$REPO_ROOT/appliance" status
  [[ "$stderr" == *"APPLIANCE_PG_PORT must be a TCP port number"* ]]
}

@test "status with nothing running: a line per component, exit 1" {
  run -1 "$REPO_ROOT/appliance" status
  [[ "${lines[0]}" =~ ^postgres\ +stopped ]]
  [[ "${lines[1]}" =~ ^redis\ +stopped ]]
  [[ "${lines[2]}" =~ ^api\ +stopped ]]
  [[ "${lines[3]}" =~ ^worker\  ]]
  [[ "${lines[4]}" =~ ^ready\  ]]
  [[ "${lines[0]}" == *"port $APPLIANCE_PG_PORT" ]]
}

@test "status reads the ports remembered in the state env file" {
  mkdir -p "$APPLIANCE_STATE_DIR"
  printf 'APPLIANCE_PG_PORT=1111\nAPPLIANCE_REDIS_PORT=2222\nAPPLIANCE_HTTP_PORT=3333\n' >"$APPLIANCE_STATE_DIR/env"
  unset APPLIANCE_PG_PORT APPLIANCE_REDIS_PORT APPLIANCE_HTTP_PORT
  run -1 "$REPO_ROOT/appliance" status
  [[ "${lines[0]}" == *"port 1111" ]]
  [[ "${lines[1]}" == *"port 2222" ]]
  [[ "${lines[2]}" == *"port 3333" ]]
}

@test "stop with nothing running is fine, twice" {
  run -0 "$REPO_ROOT/appliance" stop
  mkdir -p "$APPLIANCE_STATE_DIR"
  run -0 "$REPO_ROOT/appliance" stop
  run -0 "$REPO_ROOT/appliance" stop
}

@test "up --dry-run prints the plan and changes nothing" {
  command -v dotnet >/dev/null || skip "dotnet not on PATH"
  run -0 --separate-stderr "$REPO_ROOT/appliance" --dry-run up
  [ ! -e "$APPLIANCE_STATE_DIR" ]
  [[ "$output" == *"[dry-run] dotnet publish src/Appliance.Api/Appliance.Api.csproj -c Release -r linux-x64 --self-contained -o $APPLIANCE_STATE_DIR/bin/api"* ]]
  [[ "$output" == *"[dry-run] redis-server $APPLIANCE_STATE_DIR/redis/redis.conf"* ]]
  [[ "$output" == *"appliance-api migrate"* ]]
  [[ "$output" == *"[dry-run] write $APPLIANCE_STATE_DIR/secrets/field-encryption.key (mode 0600)"* ]]
  [[ "$output" == *"appliance-api seed-demo --admin-email admin@demo-msp.example --admin-password-file $APPLIANCE_STATE_DIR/secrets/admin-password"* ]]
  [[ "$output" == *"(dry run: nothing was changed)"* ]]
}

@test "up refuses a port that another process holds, exit 3 naming the variable" {
  command -v dotnet >/dev/null || skip "dotnet not on PATH"
  # Pretend the binaries are fresh so that nothing is published.
  mkdir -p "$APPLIANCE_STATE_DIR/bin/api" "$APPLIANCE_STATE_DIR/bin/worker"
  printf '#!/bin/sh\nexit 0\n' >"$APPLIANCE_STATE_DIR/bin/api/appliance-api"
  printf '#!/bin/sh\nexit 0\n' >"$APPLIANCE_STATE_DIR/bin/worker/appliance-worker"
  chmod +x "$APPLIANCE_STATE_DIR"/bin/*/appliance-*
  touch -d '+1 day' "$APPLIANCE_STATE_DIR"/bin/*/appliance-*
  start_listener "$APPLIANCE_PG_PORT"
  run -3 --separate-stderr "$REPO_ROOT/appliance" up
  [[ "$stderr" == *"port $APPLIANCE_PG_PORT (PostgreSQL) is already in use by another process; set APPLIANCE_PG_PORT to a free port"* ]]
  [ ! -e "$APPLIANCE_STATE_DIR/pg/PG_VERSION" ]
}

teardown() {
  stop_listener
}
