# Usage: load test_helper   (in setup() of a bats file in tests/ops; sourced, never executed)
# shellcheck shell=bash
#
# Shared setup for the bats suites: REPO_ROOT, lib_call, TCP/HTTP listeners on 127.0.0.1.
# Exit codes: none of its own; lib_call returns the called function's status.

REPO_ROOT=$(cd -- "$BATS_TEST_DIRNAME/../.." && pwd -P)
export REPO_ROOT
export SCRIPT_NAME=bats-ops
export CI=true
# The system interpreter: a pyenv shim costs ~250 ms per start.
PYTHON=$(command -v /usr/bin/python3 || command -v python3)

# Start a TCP listener on 127.0.0.1:PORT in the background; sets LISTENER_PID.
start_listener() {
  local port=$1 i
  # fd 3 closed: bats waits for it to close before it finishes a test.
  "$PYTHON" -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
time.sleep(60)' "$port" 3>&- &
  LISTENER_PID=$!
  for ((i = 0; i < 50; i++)); do
    (exec 4<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

stop_listener() {
  if [[ -n "${LISTENER_PID:-}" ]]; then
    kill "$LISTENER_PID" 2>/dev/null || true
    wait "$LISTENER_PID" 2>/dev/null || true
    LISTENER_PID=''
  fi
}

# Serve BATS_TEST_TMPDIR over HTTP on 127.0.0.1:PORT; sets LISTENER_PID.
start_http_server() {
  "$PYTHON" -m http.server --bind 127.0.0.1 "$1" --directory "$BATS_TEST_TMPDIR" >/dev/null 2>&1 3>&- &
  LISTENER_PID=$!
}

# lib_call FUNC [ARG...]: call a lib/*.sh function in a fresh bash in strict mode, the way the
# scripts use them (this also keeps common.sh's `run` away from bats' own `run`).
lib_call() {
  bash -c 'set -Eeuo pipefail
source "$REPO_ROOT/lib/common.sh"
source "$REPO_ROOT/lib/localstack.sh"
source "$REPO_ROOT/lib/testrun.sh"
"$@"' lib_call "$@"
}
