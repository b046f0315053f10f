#!/usr/bin/env bats
# Usage: bats tests/ops/systemd.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# systemd/*.service: `systemd-analyze verify` passes without a single warning, and
# `systemd-analyze security --offline=true` rates the API and the worker 2.0 or better (the scores are
# printed). verify needs the ExecStart binaries and the system targets, so it runs against a throwaway
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

@test "systemd-analyze security rates the API and the worker 2.0 or better" {
  local unit score
  for unit in appliance-api.service appliance-worker.service appliance-migrate.service; do
    run -0 systemd-analyze security --no-pager --offline=true --root="$ROOTFS" "$unit"
    score=$(sed -n "s/^→ Overall exposure level for $unit: \([0-9.]*\) .*/\1/p" <<<"$output")
    [[ "$score" =~ ^[0-9]+\.[0-9]+$ ]]
    printf '# systemd-analyze security %s: %s\n' "$unit" "$score" >&3
    awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'
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
    [ "$(setting "$unit" MemoryDenyWriteExecute)" = no ] # the .NET JIT needs W+X transitions
    [ -n "$(setting "$unit" MemoryMax)" ]
  done
  [ "$(setting appliance-api.service ExecStart)" = "/opt/appliance/api/appliance-api serve" ]
  [ "$(setting appliance-worker.service ExecStart)" = /opt/appliance/worker/appliance-worker ]
  [ "$(setting appliance-migrate.service ExecStart)" = "/opt/appliance/api/appliance-api migrate" ]
  [ "$(setting appliance-migrate.service Type)" = oneshot ]
  [[ "$(setting appliance-api.service Requires)" == *appliance-migrate.service* ]]
  [[ "$(setting appliance-api.service After)" == *appliance-migrate.service* ]]
  # The worker waits up to 60 s for running jobs on SIGTERM.
  [ "$(setting appliance-worker.service TimeoutStopSec)" -ge 75 ]
}
