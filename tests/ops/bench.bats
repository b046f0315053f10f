#!/usr/bin/env bats
# Usage: bats tests/ops/bench.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# The service-desk and Redis client benchmark scripts refuse bad arguments with one line and exit 64 before they start anything
# (the benchmark itself runs by hand: it needs minutes and the whole machine).
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
  # Nothing may be built or started: a cache directory that would be used stays empty.
  cache=$(mktemp -d)
}

teardown() {
  rm -rf -- "$cache"
}

@test "service-desk.sh --help prints its usage and exits 0" {
  run -0 "$REPO_ROOT/tests/bench/service-desk.sh" --help
  [[ "$output" == *"Usage: tests/bench/service-desk.sh"* ]]
  [[ "$output" == *"p95 <= 200 ms"* ]]
}

@test "generate-msp.sh --help prints its usage and exits 0" {
  run -0 "$REPO_ROOT/tests/bench/generate-msp.sh" --help
  [[ "$output" == *"Usage: tests/bench/generate-msp.sh"* ]]
}

@test "service-desk.sh: an unknown argument is exit 64 naming it" {
  run -64 --separate-stderr "$REPO_ROOT/tests/bench/service-desk.sh" --cache "$cache" --colour red
  [[ "$stderr" == *"unknown argument '--colour'"* ]]
  [ -z "$(ls -A -- "$cache")" ]
}

@test "service-desk.sh: rates and durations must be whole numbers of at least 1" {
  for bad in "--rate 0" "--rate fast" "--duration -5" "--search-rate 1.5" "--tickets 0"; do
    eval "set -- $bad"
    run -64 --separate-stderr "$REPO_ROOT/tests/bench/service-desk.sh" --cache "$cache" "$@"
    [[ "$stderr" == *"whole numbers of at least 1"* ]]
  done
  [ -z "$(ls -A -- "$cache")" ]
}

@test "service-desk.sh and generate-msp.sh: an option without its value is exit 64 naming the option" {
  run -64 --separate-stderr "$REPO_ROOT/tests/bench/service-desk.sh" --cache "$cache" --create-rate ''
  [[ "$stderr" == *"--create-rate needs a value"* ]]
  run -64 --separate-stderr "$REPO_ROOT/tests/bench/service-desk.sh" --rate
  [[ "$stderr" == *"--rate needs a value"* ]]
  run -64 --separate-stderr "$REPO_ROOT/tests/bench/generate-msp.sh" --cache "$cache" --tickets
  [[ "$stderr" == *"--tickets needs a value"* ]]
  [ -z "$(ls -A -- "$cache")" ]
}

@test "generate-msp.sh: sizes must be whole numbers of at least 1" {
  for bad in "--tickets 0" "--customers many" "--contacts 10k" "--technicians -1"; do
    eval "set -- $bad"
    run -64 --separate-stderr "$REPO_ROOT/tests/bench/generate-msp.sh" --cache "$cache" "$@"
    [[ "$stderr" == *"sizes are whole numbers of at least 1"* ]]
  done
  [ -z "$(ls -A -- "$cache")" ]
}

@test "generate-msp.sh: an unknown argument is exit 64 naming it" {
  run -64 --separate-stderr "$REPO_ROOT/tests/bench/generate-msp.sh" --cache "$cache" --fast
  [[ "$stderr" == *"unknown argument '--fast'"* ]]
}

@test "service-desk.sh --help describes the capacity mode and its floors" {
  run -0 "$REPO_ROOT/tests/bench/service-desk.sh" --help
  [[ "$output" == *"--capacity finds"* ]]
  [[ "$output" == *"create >= 2,000/s"* ]]
}

@test "service-desk.sh: --mixes takes only get, list, search and create, before anything starts" {
  for bad in "get,post" "" "list,,search" "GET"; do
    run -64 --separate-stderr "$REPO_ROOT/tests/bench/service-desk.sh" --cache "$cache" --capacity --mixes "$bad"
    [[ "$stderr" == *"--mixes"* ]]
  done
  [ -z "$(ls -A -- "$cache")" ]
}

@test "redis-client.sh --help names StackExchange.Redis and redis-benchmark and exits 0" {
  run -0 "$REPO_ROOT/tests/bench/redis-client.sh" --help
  [[ "$output" == *"Usage: tests/bench/redis-client.sh"* ]]
  [[ "$output" == *"StackExchange.Redis"* ]]
  [[ "$output" == *"redis-benchmark -t get"* ]]
}

@test "redis-client.sh: an unknown argument or a bad duration is exit 64 before anything starts" {
  run -64 --separate-stderr "$REPO_ROOT/tests/bench/redis-client.sh" --colour red
  [[ "$stderr" == *"unknown argument '--colour'"* ]]
  run -64 --separate-stderr "$REPO_ROOT/tests/bench/redis-client.sh" --duration 0
  [[ "$stderr" == *"whole number of seconds"* ]]
}

@test "api-health.sh: --help, and bad arguments are exit 64 before anything is published" {
  run -0 "$REPO_ROOT/tests/bench/api-health.sh" --help
  [[ "$output" == *"Usage: tests/bench/api-health.sh"* ]]
  [[ "$output" == *"<= 100 ms"* ]]
  run -64 --separate-stderr "$REPO_ROOT/tests/bench/api-health.sh" --colour red
  [[ "$stderr" == *"unknown argument '--colour'"* ]]
  for bad in "--runs 0" "--runs many" "--requests -1" "--duration 1.5"; do
    eval "set -- $bad"
    run -64 --separate-stderr "$REPO_ROOT/tests/bench/api-health.sh" "$@"
    [[ "$stderr" == *"whole number"* ]]
  done
  run -64 --separate-stderr "$REPO_ROOT/tests/bench/api-health.sh" --before
  [[ "$stderr" == *"--before needs a value"* ]]
  run -64 --separate-stderr "$REPO_ROOT/tests/bench/api-health.sh" --after "$cache/missing"
  [[ "$stderr" == *"not an executable binary"* ]]
}
