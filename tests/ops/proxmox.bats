#!/usr/bin/env bats
# Usage: bats tests/ops/proxmox.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# proxmox/*.sh against FAKE pct/pvesh/pveam/vzdump (tests/ops/fakes: Proxmox cannot run here): they
# record every call and answer from a state directory. Covers argument parsing, the exact dry-run
# commands, idempotency, the deploy rollback decision and snapshot retention.
# shellcheck disable=SC2154 # output, stderr and lines are set by bats' run

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
  export FAKE_PVE_STATE="$BATS_TEST_TMPDIR/pve"
  export PVE_TEMPLATE_CACHE="$BATS_TEST_TMPDIR/cache"
  export APPLIANCE_HOST_SECRETS="$BATS_TEST_TMPDIR/host-secrets"
  export PATH="$REPO_ROOT/tests/ops/fakes:$PATH"
  mkdir -p "$FAKE_PVE_STATE/ct" "$PVE_TEMPLATE_CACHE"
  touch "$PVE_TEMPLATE_CACHE/appliance-debian12-template.tar.zst"
  P="$REPO_ROOT/proxmox"
}

pve_call() {
  bash -c 'set -Eeuo pipefail
source "$REPO_ROOT/lib/common.sh"
source "$REPO_ROOT/proxmox/lib/topology.sh"
source "$REPO_ROOT/proxmox/lib/pve.sh"
"$@"' pve_call "$@"
}

# pve_eval 'SHELL CODE': evaluate code with the libraries loaded.
pve_eval() {
  bash -c 'set -Eeuo pipefail
source "$REPO_ROOT/lib/common.sh"
source "$REPO_ROOT/proxmox/lib/topology.sh"
source "$REPO_ROOT/proxmox/lib/pve.sh"
eval "$1"' pve_eval "$1"
}

calls() { cat "$FAKE_PVE_STATE/calls.log" 2>/dev/null || true; }
reset_calls() { : >"$FAKE_PVE_STATE/calls.log"; }
# Mutating pct calls (everything but status/list/config/listsnapshot/pull and read-only execs).
mutations() { calls | grep -vE '^pct (status|list|config|listsnapshot|pull) |^pct list$|^pct exec [0-9]+ -- (sha256sum|test) ' || true; }

# The state create-containers.sh leaves (its own test proves that), written directly: cheaper.
appliance_up() {
  local id name
  for id in 100:appliance-api-1 120:appliance-api-2 101:appliance-worker 130:appliance-pg-primary \
    131:appliance-pg-replica 132:appliance-redis 140:appliance-haproxy; do
    name=${id#*:} id=${id%%:*}
    mkdir -p "$FAKE_PVE_STATE/ct/$id/fs"
    printf '%s\n' "$id" local:vztmpl/appliance-debian12-template.tar.zst --hostname "$name" >"$FAKE_PVE_STATE/ct/$id/conf"
    echo running >"$FAKE_PVE_STATE/ct/$id/status"
    : >"$FAKE_PVE_STATE/ct/$id/snapshots"
  done
  reset_calls
}

release() {
  local dir="$BATS_TEST_TMPDIR/release-$1"
  mkdir -p "$dir/api" "$dir/worker"
  printf 'api %s\n' "$1" >"$dir/api/appliance-api"
  printf 'worker %s\n' "$1" >"$dir/worker/appliance-worker"
  chmod 755 "$dir/api/appliance-api" "$dir/worker/appliance-worker"
  printf '%s\n' "$dir"
}

# --- topology -------------------------------------------------------------------------------------

@test "topology: seven roles with unique IDs and addresses inside their segment's /24" {
  run -0 pve_call topology_roles
  [ "${#lines[@]}" -eq 7 ]
  run -0 pve_eval 'for r in $(topology_roles); do topology_get "$r" ctid; done | sort | uniq -d'
  [ -z "$output" ]
  run -0 pve_eval 'for r in $(topology_roles); do
      seg=$(topology_get "$r" segment); ip=$(topology_get "$r" ip); cidr=$(segment_get "$seg" cidr)
      [[ "${ip%.*}" == "${cidr%.*}" ]] || echo "$r $ip not in $cidr"; done'
  [ -z "$output" ]
  run -0 pve_eval 'for r in $(topology_roles); do topology_get "$r" ip; done | sort | uniq -d'
  [ -z "$output" ]
  run -0 pve_call role_net0 api-2
  [ "$output" = "name=eth0,bridge=vmbr20,ip=10.0.20.11/24,gw=10.0.20.1,rate=100" ]
  run -1 pve_call topology_get nosuchrole ctid
}

# --- create-containers ---------------------------------------------------------------------------

@test "create-containers: unknown argument and unknown role are usage errors (64)" {
  run -64 --separate-stderr "$P/create-containers.sh" --bogus
  [[ "$stderr" == *"unknown argument '--bogus'"* ]]
  run -64 --separate-stderr "$P/create-containers.sh" --only nosuchrole
  [[ "$stderr" == *"unknown role 'nosuchrole'"* ]]
  [ ! -s "$FAKE_PVE_STATE/calls.log" ]
}

@test "create-containers --dry-run prints the exact pct commands and changes nothing" {
  run -0 --separate-stderr "$P/create-containers.sh" --dry-run --no-provision --only postgres --only haproxy
  [ "${lines[0]}" = '[dry-run] pct create 130 local:vztmpl/appliance-debian12-template.tar.zst --hostname appliance-pg-primary --cores 4 --cpulimit 4 --memory 8192 --swap 0 --rootfs local-lvm:100 --net0 name=eth0\,bridge=vmbr30\,ip=10.0.30.10/24\,gw=10.0.30.1\,rate=100 --nameserver 10.0.30.1 --searchdomain appliance.local --unprivileged 1 --features nesting=1 --onboot 1 --tags appliance\;postgres' ]
  [ "${lines[1]}" = '[dry-run] pct start 130' ]
  [[ "${lines[2]}" == '[dry-run] pct create 140 '*'--net0 name=eth0\,bridge=vmbr40\,ip=10.0.40.10/24\,gw=10.0.40.1\,rate=100 '* ]]
  [ "${lines[3]}" = '[dry-run] pct start 140' ]
  [ "${#lines[@]}" -eq 4 ]
  [ -z "$(mutations)" ]
  [ -z "$(ls "$FAKE_PVE_STATE/ct")" ]
}

@test "create-containers --dry-run with provisioning prints push/exec and generates no secret" {
  run -0 --separate-stderr "$P/create-containers.sh" --dry-run --only redis
  [[ "$output" == *"[dry-run] generate password secret $APPLIANCE_HOST_SECRETS/redis-password (mode 0600)"* ]]
  [[ "$output" == *"[dry-run] pct push 132 /tmp/appliance-src.tar /root/appliance-src.tar --perms 0600"* ]]
  [[ "$output" == *"[dry-run] pct exec 132 -- /root/appliance-src/provisioning/redis.sh --secrets /root/appliance-src/secrets"* ]]
  [[ "$output" == *"[dry-run] pct exec 132 -- rm -rf /root/appliance-src/secrets /root/appliance-src.tar"* ]]
  [ ! -e "$APPLIANCE_HOST_SECRETS" ]
  [ -z "$(mutations)" ]
}

@test "create-containers creates every role once; a second run changes nothing" {
  run -0 "$P/create-containers.sh" --no-provision
  [ "$(calls | grep -c '^pct create ')" -eq 7 ]
  [ "$(ls "$FAKE_PVE_STATE/ct" | sort -n | tr '\n' ' ')" = "100 101 120 130 131 132 140 " ]
  grep -qx -- 'name=eth0,bridge=vmbr30,ip=10.0.30.12/24,gw=10.0.30.1,rate=100' "$FAKE_PVE_STATE/ct/132/conf"
  grep -qx -- 'nesting=1' "$FAKE_PVE_STATE/ct/100/conf"
  for ct in "$FAKE_PVE_STATE"/ct/*; do [ "$(cat "$ct/status")" = running ]; done
  reset_calls
  run -0 --separate-stderr "$P/create-containers.sh" --no-provision
  [ -z "$(mutations)" ]
  [[ "$stderr" == *"CT 130 (postgres) exists; not creating it"* ]]
}

@test "create-containers starts an existing stopped container without recreating it" {
  appliance_up
  echo stopped >"$FAKE_PVE_STATE/ct/132/status"
  run -0 "$P/create-containers.sh" --no-provision
  [ "$(mutations)" = "pct start 132" ]
}

@test "create-containers refuses to create containers without the template" {
  rm "$PVE_TEMPLATE_CACHE/appliance-debian12-template.tar.zst"
  run -1 --separate-stderr "$P/create-containers.sh" --no-provision --only redis
  [[ "$stderr" == *"run proxmox/build-template.sh first"* ]]
  [ -z "$(ls "$FAKE_PVE_STATE/ct")" ]
}

@test "create-containers provisions each container once with the shared secrets, then removes them" {
  run -0 "$P/create-containers.sh" --only postgres-replica --only api-1
  calls | grep -qx 'pct exec 131 -- /root/appliance-src/provisioning/postgres.sh --secrets /root/appliance-src/secrets --replica'
  calls | grep -qx 'pct exec 100 -- /root/appliance-src/provisioning/api.sh --secrets /root/appliance-src/secrets'
  calls | grep -qx 'pct exec 100 -- rm -rf /root/appliance-src/secrets /root/appliance-src.tar'
  # The pushed bundle holds the sources and the host's shared secrets.
  tar -tf "$FAKE_PVE_STATE/ct/100/fs/root/appliance-src.tar" | grep -qx 'provisioning/api.sh'
  tar -tf "$FAKE_PVE_STATE/ct/100/fs/root/appliance-src.tar" | grep -qE '^secrets/jwt-[0-9]{8}-[0-9a-f]{8}\.pem$'
  [ "$(stat -c %a "$APPLIANCE_HOST_SECRETS")" = 700 ]
  [ "$(stat -c %a "$APPLIANCE_HOST_SECRETS/db-password")" = 600 ]
  pw=$(cat "$APPLIANCE_HOST_SECRETS/db-password")
  reset_calls
  run -0 --separate-stderr "$P/create-containers.sh" --only postgres-replica --only api-1
  [ -z "$(mutations)" ]
  [[ "$stderr" == *"CT 100 (api-1) already provisioned; skipping"* ]]
  [ "$(cat "$APPLIANCE_HOST_SECRETS/db-password")" = "$pw" ]
}

# --- build-template --------------------------------------------------------------------------------

@test "build-template: dry-run prints the unprivileged nesting=1 create; skips when the template exists" {
  rm "$PVE_TEMPLATE_CACHE/appliance-debian12-template.tar.zst"
  run -0 --separate-stderr "$P/build-template.sh" --dry-run
  [[ "$output" == *'[dry-run] pveam download local debian-12-standard_12.7-1_amd64.tar.zst'* ]]
  [[ "$output" == *'[dry-run] pct create 9000 local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst --hostname appliance-template '*'--unprivileged 1 --features nesting=1 '* ]]
  [[ "$output" == *"--no-install-recommends ca-certificates "*" postgresql-15 postgresql-client-15 redis-server haproxy"* ]]
  [[ "$output" == *'[dry-run] pct exec 9000 -- systemctl disable --now postgresql.service redis-server.service haproxy.service'* ]]
  [[ "$output" == *"[dry-run] vzdump 9000 --compress zstd --mode stop --dumpdir $PVE_TEMPLATE_CACHE"* ]]
  [[ "$output" == *'[dry-run] pct destroy 9000'* ]]
  [ -z "$(mutations | grep -v '^pveam list')" ]
  run -0 "$P/build-template.sh"
  [ -e "$PVE_TEMPLATE_CACHE/appliance-debian12-template.tar.zst" ]
  [ ! -e "$FAKE_PVE_STATE/ct/9000" ]
  reset_calls
  run -0 --separate-stderr "$P/build-template.sh"
  [[ "$stderr" == *"already exists; nothing to do"* ]]
  [ -z "$(calls)" ]
}

# --- deploy: pure decision and retention functions ---------------------------------------------------

@test "deploy_decision: health fails → rollback; smoke fails → rollback; all ok → commit" {
  run -0 pve_call deploy_decision 0 0 0 0
  [ "$output" = commit ]
  run -0 pve_call deploy_decision 0 0 1 1
  [ "$output" = "rollback: health check failed" ]
  run -0 pve_call deploy_decision 0 0 0 7
  [ "$output" = "rollback: smoke test failed (exit 7)" ]
  run -0 pve_call deploy_decision 0 2 1 1
  [ "$output" = "rollback: migration failed (exit 2)" ]
  run -0 pve_call deploy_decision 1 0 0 0
  [[ "$output" == "rollback: installing"* ]]
  run -1 pve_call deploy_decision 0 0 x 0
  run -1 pve_call deploy_decision 0 0
}

@test "snapshots_to_prune keeps the newest N deploy snapshots and ignores others" {
  run -0 pve_call snapshots_to_prune 2 deploy-20260103T000000 manual-before-upgrade deploy-20260101T000000 deploy-20260102T000000 current
  [ "$output" = deploy-20260101T000000 ]
  run -0 pve_call snapshots_to_prune 3 deploy-20260101T000000 deploy-20260102T000000
  [ -z "$output" ]
  run -0 pve_call snapshots_to_prune 1 deploy-20260101T000000 deploy-20260102T000000 deploy-20260103T000000
  [ "${lines[*]}" = "deploy-20260101T000000 deploy-20260102T000000" ]
  run -1 pve_call snapshots_to_prune 0 deploy-20260101T000000
}

# --- deploy: the script against the fake ---------------------------------------------------------------

@test "deploy: usage errors (64) and pre-check failures (2) change nothing" {
  appliance_up
  run -64 "$P/deploy.sh"
  run -64 "$P/deploy.sh" --keep 0 "$(release a)"
  run -2 --separate-stderr "$P/deploy.sh" "$BATS_TEST_TMPDIR/nope"
  [[ "$stderr" == *"release directory"*"not found"* ]]
  dir=$(release b)
  chmod -x "$dir/worker/appliance-worker"
  run -2 --separate-stderr "$P/deploy.sh" "$dir"
  [[ "$stderr" == *"appliance-worker missing or not executable"* ]]
  echo stopped >"$FAKE_PVE_STATE/ct/140/status"
  run -2 --separate-stderr "$P/deploy.sh" "$(release c)"
  [[ "$stderr" == *"CT 140 is not running"* ]]
  [ -z "$(mutations)" ]
}

@test "deploy --dry-run prints the exact steps and changes nothing" {
  appliance_up
  dir=$(release a)
  run -0 --separate-stderr "$P/deploy.sh" --dry-run "$dir"
  [[ "${lines[0]}" =~ ^\[dry-run\]\ pct\ snapshot\ 100\ deploy-[0-9]{8}T[0-9]{6}\ --description ]]
  [[ "$output" == *"[dry-run] pct exec 100 -- systemctl stop appliance-api.service"* ]]
  [[ "$output" == *"[dry-run] pct push 100 $dir/api/appliance-api /opt/appliance/api/appliance-api.new --perms 0755 --user 0 --group 0"* ]]
  [[ "$output" == *"[dry-run] pct exec 100 -- mv -f /opt/appliance/api/appliance-api.new /opt/appliance/api/appliance-api"* ]]
  [[ "$output" == *"[dry-run] pct exec 100 -- systemctl start appliance-migrate.service"* ]]
  [[ "$output" == *"[dry-run] pct exec 120 -- curl -fsS -o /dev/null --max-time 3 http://127.0.0.1:3000/health"* ]]
  [[ "$output" == *"[dry-run] pct exec 140 -- curl -fsSk -o /dev/null --max-time 5 https://127.0.0.1/health"* ]]
  [[ "$output" != *rollback* ]]
  [ -z "$(mutations)" ]
}

@test "deploy success: snapshots, stop, install, migrate, start, health, smoke; no rollback; rerun is a no-op" {
  appliance_up
  dir=$(release a)
  run -0 "$P/deploy.sh" --interval 0 "$dir"
  for ct in 100 120 101 131 130; do [ "$(wc -l <"$FAKE_PVE_STATE/ct/$ct/snapshots")" -eq 1 ]; done
  [ "$(wc -l <"$FAKE_PVE_STATE/ct/140/snapshots")" -eq 0 ]
  # The replica is snapshotted right before the primary (a rollback leaves it behind, not ahead).
  [ "$(calls | grep -E '^pct snapshot 13[01] ' | cut -d' ' -f3 | tr '\n' ' ')" = "131 130 " ]
  cmp "$dir/api/appliance-api" "$FAKE_PVE_STATE/ct/120/fs/opt/appliance/api/appliance-api"
  cmp "$dir/worker/appliance-worker" "$FAKE_PVE_STATE/ct/101/fs/opt/appliance/worker/appliance-worker"
  # Order: stop before install, migrate before start.
  order=$(calls | grep -nE 'systemctl stop appliance-api|appliance-api.new|appliance-migrate|systemctl start appliance-api' | cut -d: -f2- | head -n 4)
  [[ "$order" == "pct exec 100 -- systemctl stop appliance-api.service"* ]]
  calls | grep -q 'systemctl start appliance-migrate.service'
  ! calls | grep -q '^pct rollback' || false
  reset_calls
  run -0 --separate-stderr "$P/deploy.sh" --interval 0 "$dir"
  [[ "$stderr" == *"already runs this release ("*"); nothing to do"* ]]
  [ -z "$(mutations)" ]
}

@test "deploy: failing health check rolls every snapshotted container back (exit 3)" {
  appliance_up
  echo '*127.0.0.1:3000/health*' >"$FAKE_PVE_STATE/exec-fail"
  run -3 --separate-stderr "$P/deploy.sh" --interval 0 --tries 3 "$(release a)"
  [[ "$stderr" == *"not healthy yet (3/3)"* ]]
  [[ "$stderr" == *"deploy failed: health check failed"* ]]
  snap=$(cat "$FAKE_PVE_STATE/ct/100/snapshots")
  for ct in 100 120 101 131 130; do
    calls | grep -qx "pct rollback $ct $snap"
    calls | grep -qx "pct start $ct"
  done
  # All stopped before the first rollback; back in reverse order, the primary before its replica.
  [ "$(calls | grep -nE '^pct stop ' | tail -n 1 | cut -d: -f1)" -lt "$(calls | grep -nE '^pct rollback ' | head -n 1 | cut -d: -f1)" ]
  [ "$(calls | grep -E '^pct rollback ' | cut -d' ' -f3 | tr '\n' ' ')" = "130 131 101 120 100 " ]
  ! calls | grep -q 'pct exec 140 -- curl' || false
}

@test "deploy: failing smoke test rolls back (exit 3); failing migration rolls back without starting" {
  appliance_up
  echo '*https://127.0.0.1/health*' >"$FAKE_PVE_STATE/exec-fail"
  run -3 --separate-stderr "$P/deploy.sh" --interval 0 "$(release a)"
  [[ "$stderr" == *"deploy failed: smoke test failed"* ]]
  [ "$(calls | grep -c '^pct rollback ')" -eq 5 ]
  reset_calls
  echo '*appliance-migrate.service*' >"$FAKE_PVE_STATE/exec-fail"
  run -3 --separate-stderr "$P/deploy.sh" --interval 0 "$(release b)"
  [[ "$stderr" == *"deploy failed: migration failed"* ]]
  ! calls | grep -q 'systemctl start appliance-api.service' || false
  [ "$(calls | grep -c '^pct rollback ')" -eq 5 ]
}

@test "deploy: a failing --smoke script rolls back; a passing one commits" {
  appliance_up
  printf '#!/bin/sh\n[ "$1" = 10.0.40.10 ] && exit 5\n' >"$BATS_TEST_TMPDIR/smoke-bad"
  printf '#!/bin/sh\n[ "$1" = 10.0.40.10 ]\n' >"$BATS_TEST_TMPDIR/smoke-ok"
  chmod +x "$BATS_TEST_TMPDIR"/smoke-*
  run -3 "$P/deploy.sh" --interval 0 --smoke "$BATS_TEST_TMPDIR/smoke-bad" "$(release a)"
  reset_calls
  run -0 "$P/deploy.sh" --interval 0 --smoke "$BATS_TEST_TMPDIR/smoke-ok" "$(release b)"
  ! calls | grep -q '^pct rollback' || false
}

@test "deploy keeps only the newest --keep deploy snapshots per container" {
  appliance_up
  for ct in 100 120 101 130; do
    printf '%s\n' deploy-20250101T000000 before-upgrade deploy-20250102T000000 deploy-20250103T000000 >"$FAKE_PVE_STATE/ct/$ct/snapshots"
  done
  run -0 "$P/deploy.sh" --interval 0 --keep 2 "$(release a)"
  for ct in 100 120 101 130; do
    run -0 pve_call snapshot_names "$ct"
    [ "${#lines[@]}" -eq 3 ]
    [ "${lines[0]}" = before-upgrade ]
    [ "${lines[1]}" = deploy-20250103T000000 ]
    [[ "${lines[2]}" =~ ^deploy-2[0-9]{7}T[0-9]{6}$ ]]
  done
}

# --- scale-api ----------------------------------------------------------------------------------------

haproxy_cfg() {
  mkdir -p "$FAKE_PVE_STATE/ct/140/fs/etc/haproxy"
  cat >"$FAKE_PVE_STATE/ct/140/fs/etc/haproxy/haproxy.cfg" <<'CFG'
frontend fe_https
    bind :443
    default_backend be_api

backend be_api
    balance roundrobin
    server api-1 10.0.20.10:3000 check inter 10s fall 3 rise 2
    server api-2 10.0.20.11:3000 check inter 10s fall 3 rise 2 backup

backend be_ui
    server ui 127.0.0.1:8081
CFG
}

@test "haproxy_add_server adds one server after the backend's last one, once" {
  haproxy_cfg
  cfg="$FAKE_PVE_STATE/ct/140/fs/etc/haproxy/haproxy.cfg"
  run -0 pve_call haproxy_add_server be_api appliance-api-3 10.0.20.12:3000 <"$cfg"
  # Line 9 of the result: right after api-2, before the blank line and backend be_ui.
  [ "$(printf '%s\n' "$output" | sed -n 9p)" = "    server appliance-api-3 10.0.20.12:3000 check inter 10s fall 3 rise 2" ]
  [ "$(printf '%s\n' "$output" | sed -n 11p)" = "backend be_ui" ]
  [ "$(printf '%s\n' "$output" | grep -c server)" -eq 4 ]
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/once.cfg"
  run -0 pve_call haproxy_add_server be_api appliance-api-3 10.0.20.12:3000 <"$BATS_TEST_TMPDIR/once.cfg"
  [ "$output" = "$(cat "$BATS_TEST_TMPDIR/once.cfg")" ]
  run -3 pve_call haproxy_add_server be_nope x 10.0.20.12:3000 <"$cfg"
}

@test "scale-api clones into 121 at 10.0.20.12, adds it to HAProxy and reloads; rerun changes nothing" {
  appliance_up
  haproxy_cfg
  run -0 "$P/scale-api.sh" --interval 0
  calls | grep -qx 'pct clone 100 121 --snapname scale-121 --hostname appliance-api-3 --full 1'
  calls | grep -qxF 'pct set 121 --net0 name=eth0\,bridge=vmbr20\,ip=10.0.20.12/24\,gw=10.0.20.1\,rate=100 --tags appliance\;api-scaled'
  calls | grep -qx 'pct exec 140 -- haproxy -c -q -f /etc/haproxy/haproxy.cfg.new'
  calls | grep -qx 'pct exec 140 -- systemctl reload haproxy.service'
  grep -qx '    server appliance-api-3 10.0.20.12:3000 check inter 10s fall 3 rise 2' "$FAKE_PVE_STATE/ct/140/fs/etc/haproxy/haproxy.cfg"
  [ "$(cat "$FAKE_PVE_STATE/ct/121/status")" = running ]
  reset_calls
  run -0 --separate-stderr "$P/scale-api.sh" --interval 0 --ct 121
  [ -z "$(mutations | grep -v 'curl')" ]
  [[ "$stderr" == *"already has appliance-api-3"* ]]
  # deploy now covers the scaled-out instance too.
  run -0 "$P/deploy.sh" --interval 0 "$(release a)"
  calls | grep -q '^pct push 121 .*appliance-api.new'
}

@test "scale-api: an unhealthy clone is not added to HAProxy (exit 2); bad --ct is a usage error" {
  appliance_up
  haproxy_cfg
  run -64 "$P/scale-api.sh" --ct 130
  echo 'curl*127.0.0.1:3000/health*' >"$FAKE_PVE_STATE/exec-fail"
  run -2 "$P/scale-api.sh" --interval 0 --tries 2
  ! calls | grep -q '^pct push 140' || false
  ! grep -q appliance-api-3 "$FAKE_PVE_STATE/ct/140/fs/etc/haproxy/haproxy.cfg" || false
}

# --- health-check -----------------------------------------------------------------------------------

@test "health-check: all healthy → 0 and nothing restarted" {
  appliance_up
  run -0 "$P/health-check.sh" --interval 0
  [ -z "$(mutations | grep -vE 'curl|is-active')" ]
}

@test "health-check: restarts the service, then reboots the container; still failing → exit 2" {
  appliance_up
  echo 'curl*127.0.0.1:3000/health*' >"$FAKE_PVE_STATE/exec-fail"
  run -2 --separate-stderr "$P/health-check.sh" --role api-2 --interval 0 --tries 2
  [ "$(mutations | grep -vE 'curl')" = "$(printf 'pct exec 120 -- systemctl restart appliance-api.service\npct reboot 120')" ]
  [[ "$stderr" == *"CT 120 appliance-api.service unhealthy after service restart and container reboot"* ]]
}

@test "health-check: a stopped container is started; --dry-run prints, changes nothing" {
  appliance_up
  echo stopped >"$FAKE_PVE_STATE/ct/132/status"
  run -0 --separate-stderr "$P/health-check.sh" --dry-run --role redis
  [ "$output" = "[dry-run] pct start 132" ]
  [ -z "$(mutations)" ]
  run -0 "$P/health-check.sh" --role redis --interval 0
  [ "$(mutations | grep -v is-active)" = "pct start 132" ]
  run -64 "$P/health-check.sh" --role nosuch
}
