#!/usr/bin/env bats
# Usage: bats tests/ops/systemd.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# systemd/*.service: `systemd-analyze verify` passes without a single warning, and
# `systemd-analyze security --offline=true` rates the API, the worker and the migration 1.2 or better (the scores are
# printed); the published API's traced system calls and memory mappings pass the API unit's SystemCallFilter and
# MemoryDenyWriteExecute. verify needs the ExecStart binaries and the system targets, so it runs against a throwaway
# root (--root) holding the units, this machine's /usr/lib/systemd/system and stand-in binaries.

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
  UNITS="$REPO_ROOT/systemd"
  command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed (Debian package systemd)" >&2; return 1; }
  ROOTFS=$(mktemp -d)
  mkdir -p -- "$ROOTFS/opt/appliance/api" "$ROOTFS/opt/appliance/worker" "$ROOTFS/etc/systemd/system" "$ROOTFS/usr/lib/systemd"
  cp -a /usr/lib/systemd/system "$ROOTFS/usr/lib/systemd/"
  install -m 0755 /bin/true "$ROOTFS/opt/appliance/api/appliance-api"
  install -m 0755 /bin/true "$ROOTFS/opt/appliance/worker/appliance-worker"
  cp -- "$UNITS"/*.service "$ROOTFS/etc/systemd/system/"
}

teardown() {
  rm -rf -- "$ROOTFS"
}

# setting UNIT KEY: the last value of KEY= in the unit (later assignments win, as in systemd).
setting() {
  sed -n "s/^$2=//p" -- "$UNITS/$1" | tail -n 1
}

@test "systemd-analyze verify passes for every unit, without warnings" {
  run -0 systemd-analyze verify --root="$ROOTFS" "$ROOTFS"/etc/systemd/system/appliance-{api,worker,migrate}.service
  [ -z "$output" ]
}

@test "systemd-analyze verify in this setup does catch broken units" {
  sed -i 's|^ExecStart=.*|&\nExecStartPre=/opt/appliance/missing|' "$ROOTFS/etc/systemd/system/appliance-worker.service"
  run -1 systemd-analyze verify --root="$ROOTFS" "$ROOTFS/etc/systemd/system/appliance-worker.service"
  [[ "$output" == *"/opt/appliance/missing"* ]]
  cp -- "$UNITS/appliance-api.service" "$ROOTFS/etc/systemd/system/typo.service"
  sed -i 's/^WatchdogSec=/WatchdogSecs=/' "$ROOTFS/etc/systemd/system/typo.service"
  run systemd-analyze verify --root="$ROOTFS" "$ROOTFS/etc/systemd/system/typo.service"
  [[ "$output" == *"Unknown key 'WatchdogSecs'"* ]]
}

@test "systemd-analyze security rates the API, the worker and the migration 1.2 or better" {
  local unit score
  for unit in appliance-api.service appliance-worker.service appliance-migrate.service; do
    run -0 systemd-analyze security --no-pager --offline=true --root="$ROOTFS" "$unit"
    score=$(sed -n "s/^→ Overall exposure level for $unit: \([0-9.]*\) .*/\1/p" <<<"$output")
    [[ "$score" =~ ^[0-9]+\.[0-9]+$ ]]
    printf '# systemd-analyze security %s: %s\n' "$unit" "$score" >&3
    awk -v s="$score" 'BEGIN { exit !(s <= 1.2) }'
  done
}

@test "the units keep the contract with the binaries and the operators" {
  local unit
  for unit in appliance-api.service appliance-worker.service; do
    [ "$(setting "$unit" Type)" = notify ]
    [ "$(setting "$unit" WatchdogSec)" -gt 0 ]
    [ "$(setting "$unit" Restart)" = on-failure ]
    [ "$(setting "$unit" RestartPreventExitStatus)" = "78 65" ]
    [ "$(setting "$unit" User)" = appliance ]
    [ "$(setting "$unit" EnvironmentFile)" = -/etc/appliance/env ]
    [ "$(setting "$unit" CapabilityBoundingSet)" = "" ]
    [ "$(setting "$unit" ProtectSystem)" = strict ]
    [ "$(setting "$unit" RestrictAddressFamilies)" = "AF_UNIX AF_INET AF_INET6" ]
    [ -n "$(setting "$unit" MemoryMax)" ]
  done
  # The API binary is Native AOT (no JIT, so no W+X pages); the worker is ReadyToRun and its JIT needs W+X transitions.
  [ "$(setting appliance-api.service MemoryDenyWriteExecute)" = yes ]
  [ "$(setting appliance-migrate.service MemoryDenyWriteExecute)" = yes ]
  [ "$(setting appliance-worker.service MemoryDenyWriteExecute)" = no ]
  [ "$(setting appliance-api.service ExecStart)" = "/opt/appliance/api/appliance-api serve" ]
  [ "$(setting appliance-worker.service ExecStart)" = /opt/appliance/worker/appliance-worker ]
  [ "$(setting appliance-migrate.service ExecStart)" = "/opt/appliance/api/appliance-api migrate" ]
  [ "$(setting appliance-migrate.service Type)" = oneshot ]
  [[ "$(setting appliance-api.service Requires)" == *appliance-migrate.service* ]]
  [[ "$(setting appliance-api.service After)" == *appliance-migrate.service* ]]
  # The worker waits up to 60 s for running jobs on SIGTERM.
  [ "$(setting appliance-worker.service TimeoutStopSec)" -ge 75 ]
}

@test "every system call the published API makes is allowed by the unit's SystemCallFilter (strace)" {
  [[ -x "${APPLIANCE_PUBLISHED_API:-}" ]] || { echo "APPLIANCE_PUBLISHED_API is not set: run through ./appliance test" >&2; return 1; }
  command -v strace >/dev/null || { echo "strace not installed (Debian package strace)" >&2; return 1; }
  local port tracer api i
  port=$(lib_call free_port)
  "$APPLIANCE_PUBLISHED_API" keys generate --dir "$BATS_TEST_TMPDIR/keys" >/dev/null
  (umask 077 && head -c 32 /dev/urandom | base64 >"$BATS_TEST_TMPDIR/keys/field-encryption.key")
  # PostgreSQL and Redis on a closed port: start-up, requests, failing connects, shutdown are all traced.
  env -i PATH=/usr/bin:/bin HOME="$BATS_TEST_TMPDIR" APPLIANCE_CONFIG_DIR="$BATS_TEST_TMPDIR" \
    APPLIANCE_Identity__KeyDirectory="$BATS_TEST_TMPDIR/keys" \
    APPLIANCE_Security__FieldEncryptionKeyFile="$BATS_TEST_TMPDIR/keys/field-encryption.key" \
    'APPLIANCE_Database__ConnectionString=Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d' \
    APPLIANCE_Redis__Endpoint=127.0.0.1:1 APPLIANCE_Http__Url="http://127.0.0.1:$port" \
    strace -f -qq -o "$BATS_TEST_TMPDIR/trace" "$APPLIANCE_PUBLISHED_API" serve >"$BATS_TEST_TMPDIR/api.log" 2>&1 3>&- &
  tracer=$!
  lib_call wait_http "http://127.0.0.1:$port/health" 60 2>/dev/null
  curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$port/ready"
  curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$port/api/v1/customers"
  api=$(pgrep -P "$tracer")
  kill -TERM "$api"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$tracer" 2>/dev/null || break
    sleep 0.1
  done
  wait "$tracer" || true
  run "$PYTHON" - "$UNITS/appliance-api.service" "$BATS_TEST_TMPDIR/trace" <<'PY'
import re, subprocess, sys

def group(name, cache={}):
    if name not in cache:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True, check=True).stdout
        calls = set()
        for line in out.splitlines()[1:]:
            line = line.strip()
            if line and not line.startswith("#"):
                calls |= group(line) if line.startswith("@") else {line}
        cache[name] = calls
    return cache[name]

def expand(words):
    return set().union(*(group(w) if w.startswith("@") else {w} for w in words))

allowed, denied, mdwe = set(), set(), False
for line in open(sys.argv[1]):
    if line.startswith("MemoryDenyWriteExecute="):
        mdwe = line.split("=", 1)[1].strip() == "yes"
    if line.startswith("SystemCallFilter="):
        value = line.split("=", 1)[1].split()
        if value and value[0].startswith("~"):
            denied |= expand([value[0][1:]] + value[1:])
        else:
            allowed |= expand(value)
# MemoryDenyWriteExecute=yes as systemd's seccomp filter enforces it: no mmap that is writable and executable, no
# mprotect/pkey_mprotect that asks for PROT_EXEC, no shmat with SHM_EXEC.
def wx_violation(name, args):
    if name in ("mmap", "mmap2"):
        return "PROT_WRITE" in args and "PROT_EXEC" in args
    if name in ("mprotect", "pkey_mprotect"):
        return "PROT_EXEC" in args
    return name == "shmat" and "SHM_EXEC" in args

used, wx, maps = set(), [], 0
for line in open(sys.argv[2]):
    m = re.match(r"^\d+\s+([a-z0-9_]+)\((.*)", line)
    if m:
        used.add(m.group(1))
        maps += m.group(1) in ("mmap", "mprotect")
        if wx_violation(m.group(1), m.group(2)):
            wx.append(line.strip())
missing = sorted(used - (allowed - denied))
print(f"{len(used)} distinct system calls used, {len(allowed - denied)} allowed; outside the filter: {missing or 'none'}")
print(f"MemoryDenyWriteExecute={'yes' if mdwe else 'no'}: {maps} mmap/mprotect calls, W+X ones: {len(wx)}")
for line in wx[:10]:
    print("  " + line)
sys.exit(1 if missing or len(used) < 20 or (mdwe and (wx or maps == 0)) else 0)
PY
  printf '# %s\n' "${lines[@]}" >&3
  [ "$status" -eq 0 ]
}
