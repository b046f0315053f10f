#!/usr/bin/env bats
# Usage: bats tests/ops/common.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# lib/common.sh: logging, die, run/dry-run, write_file, require_*, random_alnum, pid_alive.
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
}

@test "log writes one timestamped line with the script name to stderr" {
  run -0 --separate-stderr lib_call log "hello world"
  [ -z "$output" ]
  [[ "$stderr" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}\ bats-ops:\ hello\ world$ ]]
}

@test "warn prefixes WARN" {
  run -0 --separate-stderr lib_call warn careful
  [[ "$stderr" == *"bats-ops: WARN: careful" ]]
}

@test "die exits with the given code and a one-line ERROR message" {
  run -7 --separate-stderr lib_call die boom 7
  [ -z "$output" ]
  [[ "$stderr" == *"bats-ops: ERROR: boom" ]]
  [ "${#stderr_lines[@]}" -eq 1 ]
}

@test "die defaults to exit code 1" {
  run -1 --separate-stderr lib_call die "plain failure"
  [[ "$stderr" == *"ERROR: plain failure" ]]
}

@test "die keeps a multi-line message on one line" {
  run -3 --separate-stderr lib_call die $'first\nsecond' 3
  [ "${#stderr_lines[@]}" -eq 1 ]
  [[ "$stderr" == *"ERROR: first second" ]]
}

@test "die turns an invalid code into 1" {
  run -1 lib_call die "bad code" abc
  run -1 lib_call die "zero is no failure" 0
}

@test "run executes the command" {
  run -0 lib_call run touch "$BATS_TEST_TMPDIR/made"
  [ -f "$BATS_TEST_TMPDIR/made" ]
}

@test "run passes the command's exit code through" {
  run -5 lib_call run bash -c "exit 5"
}

@test "run with DRY_RUN=1 prints the exact command and does not execute it" {
  DRY_RUN=1 run -0 lib_call run touch "$BATS_TEST_TMPDIR/not made" "it's"
  [ ! -e "$BATS_TEST_TMPDIR/not made" ]
  [ "$output" = "[dry-run] touch $(printf '%q' "$BATS_TEST_TMPDIR/not made") it\\'s" ]
}

@test "a printed dry-run command can be pasted back into a shell" {
  DRY_RUN=1 run -0 lib_call run printf "%s|" "a b" "\$HOME" ";"
  cmd=${output#\[dry-run\] }
  run -0 bash -c "$cmd"
  [ "$output" = "a b|\$HOME|;|" ]
}

@test "run_to appends output to a file, or shows the redirection in dry-run" {
  run -0 lib_call run_to "$BATS_TEST_TMPDIR/out.log" echo one
  run -0 lib_call run_to "$BATS_TEST_TMPDIR/out.log" bash -c "echo two >&2"
  [ "$(cat "$BATS_TEST_TMPDIR/out.log")" = $'one\ntwo' ]
  DRY_RUN=1 run -0 lib_call run_to "$BATS_TEST_TMPDIR/dry.log" echo three
  [ ! -e "$BATS_TEST_TMPDIR/dry.log" ]
  [[ "$output" == "[dry-run] echo three >>"*"dry.log 2>&1" ]]
}

@test "write_file writes content with the mode; dry-run writes nothing and hides the content" {
  run -0 lib_call write_file 0600 "$BATS_TEST_TMPDIR/s" <<<"secret"
  [ "$(cat "$BATS_TEST_TMPDIR/s")" = secret ]
  [ "$(stat -c %a "$BATS_TEST_TMPDIR/s")" = 600 ]
  DRY_RUN=1 run -0 lib_call write_file 0600 "$BATS_TEST_TMPDIR/d" <<<"hidden"
  [ ! -e "$BATS_TEST_TMPDIR/d" ]
  [[ "$output" == *"write"*"(mode 0600)" ]]
  [[ "$output" != *hidden* ]]
}

@test "require_cmd passes for present commands" {
  run -0 lib_call require_cmd bash sed
}

@test "require_cmd exits 69 naming the missing commands" {
  run -69 --separate-stderr lib_call require_cmd bash no-such-cmd-xyz other-missing-cmd
  [[ "$stderr" == *"required command(s) not found on PATH: no-such-cmd-xyz other-missing-cmd" ]]
}

@test "require_root exits 77 unless root" {
  if ((EUID != 0)); then
    run -77 lib_call require_root
    return
  fi
  run -0 lib_call require_root
  # The library arrives on stdin: the unprivileged user may not be able to read the checkout.
  { cat "$REPO_ROOT/lib/common.sh"; echo require_root; } >"$BATS_TEST_TMPDIR/as-nobody"
  run -77 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups bash -s <"$BATS_TEST_TMPDIR/as-nobody"
  [[ "$stderr" == *"must run as root"* ]]
}

@test "random_alnum gives the requested number of alphanumerics" {
  run -0 lib_call random_alnum 40
  [[ "$output" =~ ^[A-Za-z0-9]{40}$ ]]
  a=$(lib_call random_alnum)
  b=$(lib_call random_alnum)
  [ "${#a}" -eq 32 ]
  [ "$a" != "$b" ]
}

@test "pid_alive tells running from finished processes" {
  sleep 5 3>&- &
  pid=$!
  run -0 lib_call pid_alive "$pid"
  kill "$pid"
  wait "$pid" || true
  run -1 lib_call pid_alive "$pid"
  run -1 lib_call pid_alive not-a-pid
}

@test "use_color is off under CI=true" {
  CI=true run -1 lib_call use_color
}

@test "on_err as ERR trap names the failed command and its exit code" {
  cat >"$BATS_TEST_TMPDIR/failing" <<'SCRIPT'
set -Eeuo pipefail
source "$REPO_ROOT/lib/common.sh"
trap 'on_err "$?" "$LINENO"' ERR
bash -c "exit 3"
echo not reached
SCRIPT
  run -3 --separate-stderr bash "$BATS_TEST_TMPDIR/failing"
  [ -z "$output" ]
  [[ "$stderr" == *'command failed (exit 3)'*'bash -c "exit 3"'* ]]
}
