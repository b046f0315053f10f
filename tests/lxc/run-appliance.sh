#!/usr/bin/env bash
# Usage: tests/lxc/run-appliance.sh [--keep] [--release DIR] [--down] [--dry-run]
#
# The real appliance on this machine, without Proxmox: builds (or reuses) the cached Debian 12
# rootfs (tests/lxc/rootfs.sh), creates the isolated segment bridges and the router namespace with
# the firewall matrix (tests/lxc/network.sh), puts the LXC backend tests/lxc/pct-lxc on PATH as
# `pct`, and then runs the appliance's own scripts unchanged: proxmox/create-containers.sh (all
# seven containers, provisioned by provisioning/<role>.sh) and proxmox/deploy.sh (snapshot,
# install, migrate, health, smoke). After creating the first system admin it checks, from a client
# outside every segment, through HAProxy:
#   HTTPS with the appliance's certificate, HTTP → HTTPS redirect, login, creating a record and
#   reading the tickets, round robin over both API instances, failover when one stops,
#   the worker's heartbeat row, streaming replication, health-check.sh restarting a stopped
#   service, and the firewall: services → PostgreSQL allowed, DMZ → PostgreSQL and outside → API
#   dropped, the drop counted and logged by the router, and no route out of the test network.
# Each check prints "PASS name" or "FAIL name"; the total duration is printed at the end. Everything
# is torn down on exit, whatever happened (containers, bridges, namespaces, the subuid/subgid
# entries it added) — except the cached rootfs, which makes the next run warm. --keep leaves the
# appliance running for debugging (enter with `PATH=LXC_WORK/bin:$PATH pct exec CTID -- bash`);
# --down tears down what a --keep run (or a killed one) left and exits.
#
# --release DIR uses DIR/api/appliance-api and DIR/worker/appliance-worker (as `./appliance test`
# publishes them) instead of running dotnet publish. Only one run at a time (a lock in LXC_CACHE;
# a second run waits up to 30 minutes). Variables: APPLIANCE_LXC_CACHE, APPLIANCE_LXC_WORK (see
# tests/lxc/lib.sh), APPLIANCE_LXC_MIRROR (see rootfs.sh).
#
# Exit codes:
#   0   every check passed
#   1   at least one check failed
#   2   the appliance could not be set up (rootfs, network, containers, publish or deploy failed;
#       the checks did not run)
#   64  usage error
#   69  a required tool is missing (lxc, lxc-templates, debootstrap, zstd, nft, ip, curl, dotnet for publishing)
#   75  another run holds the lock
#   77  not root
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$HERE/../.." && pwd -P)
SCRIPT_NAME=lxc-appliance
# shellcheck source=../../lib/common.sh
source "$REPO/lib/common.sh"
# shellcheck source=../../proxmox/lib/topology.sh
source "$REPO/proxmox/lib/topology.sh"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

KEEP=0 DOWN=0 RELEASE=''
ADMIN_EMAIL=admin@appliance.example
SUBID_ENTRY="root:100000:65536"
STARTED=$SECONDS
PASSED=0 FAILED=0

usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "$0"; }

while (($#)); do
  case "$1" in
    --keep) KEEP=1 ;;
    --down) DOWN=1 ;;
    --release) [[ -d "${2:-}" ]] || die "--release needs a directory, got '${2:-}'" 64; RELEASE=$(cd -- "$2" && pwd -P); shift ;;
    --dry-run) DRY_RUN=1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
  shift
done
export DRY_RUN
is_dry_run || require_root
require_cmd lxc-create lxc-start lxc-attach zstd tar nft ip curl openssl flock mkfs.ext4 mountpoint
# The container configs written by tests/lxc/pct-lxc include these (package lxc-templates, not pulled in by lxc).
for lxc_conf in /usr/share/lxc/config/debian.common.conf /usr/share/lxc/config/debian.userns.conf; do
  [[ -r $lxc_conf ]] || die "missing $lxc_conf: install lxc-templates (apt-get install lxc-templates)" 69
done

CONTAINERS="$LXC_WORK/containers"
STORE="$LXC_WORK/containers.img"
STORE_SIZE=${APPLIANCE_LXC_STORE_SIZE:-40G}
BIN="$LXC_WORK/bin"
TEMPLATES="$LXC_WORK/template-cache"
SECRETS="$LXC_WORK/secrets"
LOGS="$LXC_WORK/logs"
# What the proxmox scripts and pct-lxc read.
export PATH="$BIN:$PATH" PCT_LXC_PATH="$CONTAINERS" PVE_TEMPLATE_CACHE="$TEMPLATES" APPLIANCE_HOST_SECRETS="$SECRETS"
export CI="${CI:-}"

# --- host preparation and teardown -----------------------------------------------------------------

# Unprivileged containers map root to 100000-165535 (as on Proxmox); newuidmap wants it allowed.
SUBID_ADDED="$LXC_WORK/subid-added"
subid_ensure() {
  local f
  for f in /etc/subuid /etc/subgid; do
    if ! grep -qx "$SUBID_ENTRY" "$f" 2>/dev/null; then
      log "adding $SUBID_ENTRY to $f for this run"
      run sh -c "printf '%s\n' '$SUBID_ENTRY' >>'$f'"
      is_dry_run || printf '%s\n' "$f" >>"$SUBID_ADDED"
    fi
  done
}

subid_restore() {
  local f
  [[ -s "$SUBID_ADDED" ]] || return 0
  while IFS= read -r f; do
    log "removing $SUBID_ENTRY from $f again"
    # Only the line this run appended (the last one); whatever else is there stays.
    awk -v entry="$SUBID_ENTRY" '{ line[NR] = $0 } $0 == entry { last = NR }
      END { for (i = 1; i <= NR; i++) if (i != last) print line[i] }' "$f" >"$f.psa-t"
    cat -- "$f.psa-t" >"$f"
    rm -f -- "$f.psa-t"
  done <"$SUBID_ADDED"
  rm -f -- "$SUBID_ADDED"
}

# The containers live on a file system of their own, a sparse image loop-mounted without discard:
# btrfs when the kernel and btrfs-progs have it (pct-lxc then makes containers, snapshots and clones
# as btrfs snapshots, in a moment), else ext4 (copies). Either way the whole store goes with one
# unlink: deleting ~30000 files per container from a disk mounted with discard takes minutes.
store_up() {
  install -d -m 0711 "$CONTAINERS"
  truncate -s "$STORE_SIZE" "$STORE"
  if command -v mkfs.btrfs >/dev/null 2>&1 && grep -qw btrfs /proc/filesystems &&
    mkfs.btrfs -q -f "$STORE" >/dev/null && mount -o loop,nodiscard "$STORE" "$CONTAINERS"; then
    log "container store: $STORE ($STORE_SIZE sparse, btrfs) on $CONTAINERS"
  else
    mkfs.ext4 -q -F -O ^has_journal -E lazy_itable_init=1,nodiscard "$STORE"
    mount -o loop,nodiscard "$STORE" "$CONTAINERS"
    log "container store: $STORE ($STORE_SIZE sparse, ext4: no btrfs here) on $CONTAINERS"
  fi
  chmod 0711 "$CONTAINERS"
}

store_down() {
  if mountpoint -q "$CONTAINERS"; then
    umount "$CONTAINERS" || umount --lazy "$CONTAINERS"
  fi
  rm -f -- "$STORE"
  rmdir -- "$CONTAINERS" 2>/dev/null || true
}

teardown() {
  local conf ct
  log "tearing down: containers, network, host entries"
  shopt -s nullglob
  for conf in "$CONTAINERS"/*/pct.conf; do
    ct=${conf%/pct.conf}
    ct=${ct##*/}
    "$HERE/pct-lxc" destroy "$ct" --force 1 >>"$LOGS/teardown.log" 2>&1 || warn "destroying CT $ct failed (see $LOGS/teardown.log)"
  done
  shopt -u nullglob
  store_down
  "$HERE/network.sh" down >>"$LOGS/teardown.log" 2>&1 || warn "network teardown failed (see $LOGS/teardown.log)"
  subid_restore
  rm -rf -- "$BIN" "$TEMPLATES" "$SECRETS" "$LXC_WORK/client" "$LXC_WORK/broken-release"
  # Only a release this script published; a --release DIR belongs to the caller.
  rm -rf -- "$LXC_WORK/release"
}

on_exit() {
  local rc=$?
  if ((KEEP)) && ((DOWN == 0)); then
    log "--keep: the appliance stays up; tear it down with: $0 --down"
  elif ! is_dry_run; then
    teardown
  fi
  printf 'total duration: %ss\n' $((SECONDS - STARTED))
  exit "$rc"
}

# --- checks ----------------------------------------------------------------------------------------

pass() { PASSED=$((PASSED + 1)); printf 'PASS  %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL  %s%s\n' "$1" "${2:+  ($2)}"; }

# check NAME CMD...: PASS when CMD succeeds; its output goes to the log, the last line into the FAIL
# reason. CMD runs in this shell (login keeps its token for the checks after it).
check() {
  local name=$1 out="$LOGS/check.out" rc=0
  shift
  "$@" >"$out" 2>&1 || rc=$?
  printf '== %s (exit %s)\n%s\n' "$name" "$rc" "$(cat -- "$out")" >>"$LOGS/checks.log"
  if ((rc == 0)); then pass "$name"; else fail "$name" "$(tail -n 1 -- "$out")"; fi
}

# A step of the setup: its output goes to LOGS/NAME.log; a failure ends the run with exit 2.
setup_step() {
  local name=$1 started=$SECONDS
  shift
  log "$name ..."
  if ! run_to "$LOGS/$name.log" "$@"; then
    tail -n 25 -- "$LOGS/$name.log" >&2 || true
    fail "setup: $name" "see $LOGS/$name.log"
    exit 2
  fi
  pass "setup: $name ($((SECONDS - started))s)"
}

client() { ip netns exec "$LXC_CLIENT_NS" "$@"; }
in_router() { ip netns exec "$LXC_ROUTER_NS" "$@"; }
ct_of() { topology_get "$1" ctid; }
HAPROXY_IP=$(topology_get haproxy ip)
HAPROXY_NAME="$(topology_get haproxy hostname).$SEARCHDOMAIN"
PG_IP=$(topology_get postgres ip)

# curl from the client namespace to HAProxy, verifying its certificate under its DNS name.
hcurl() {
  client curl -sS --max-time 10 --cacert "$LXC_WORK/client/ca.pem" --resolve "$HAPROXY_NAME:443:$HAPROXY_IP" "$@"
}

# A TCP connect by bash itself ($1 host, $2 port), run under `timeout 3`: exit 0 connected,
# 1 refused or reset, 124 no answer (dropped).
# shellcheck disable=SC2016 # expanded by the bash that runs it
TCP_CONNECT='exec 3<>"/dev/tcp/$1/$2"'

# tcp_probe CTID HOST PORT: TCP_CONNECT from inside a container.
tcp_probe() {
  pct exec "$1" -- timeout 3 bash -c "$TCP_CONNECT" probe "$2" "$3"
}

psql_primary() {
  pct exec "$(ct_of postgres)" -- runuser -u postgres -- psql -X -At -d appliance -c "$1"
}

json_field() {
  # The first "NAME":"VALUE" string of a JSON document (the API's tokens and ids are plain strings).
  sed -nE "s/.*\"$1\":\"([^\"]*)\".*/\1/p" | head -n 1
}

check_https_health() {
  local code
  code=$(hcurl -o /dev/null -w '%{http_code}' "https://$HAPROXY_NAME/health")
  [[ "$code" == 200 ]] || { echo "GET /health answered $code"; return 1; }
}

check_redirect() {
  local out
  out=$(client curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{redirect_url}' "http://$HAPROXY_IP/health")
  [[ "$out" == "301 https://$HAPROXY_IP/health" ]] || { echo "got '$out'"; return 1; }
}

login() {
  local body
  body=$(hcurl -H 'Content-Type: application/json' \
    --data "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$(cat -- "$SECRETS/admin-password")\"}" \
    "https://$HAPROXY_NAME/api/v1/auth/login")
  TOKEN=$(json_field access_token <<<"$body")
  [[ -n "$TOKEN" ]] || { echo "no access_token in: ${body:0:300}"; return 1; }
}

# The record the end-to-end check creates: a customer, then a ticket for it (SLA and auto-assignment on the
# primary). create_customer alone checks the CRM path only.
E2E_CREATE=create_ticket

# api_post PATH JSON: POST as the admin through HAProxy, expecting 201 with an "id"; sets ID.
api_post() {
  local out code body
  out=$(hcurl -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data "$2" "https://$HAPROXY_NAME$1")
  code=${out##*$'\n'} body=${out%$'\n'*}
  ID=$(json_field id <<<"$body")
  [[ "$code" == 201 && -n "$ID" ]] || { echo "POST $1 answered $code: ${body:0:300}"; return 1; }
}

# in_primary TABLE ID: the row is in the primary database.
in_primary() {
  [[ "$(psql_primary "SELECT count(*) FROM $1 WHERE id = '$2'")" == 1 ]] || { echo "$1 $2 is not in the database"; return 1; }
}

create_customer() {
  local code
  api_post /api/v1/customers '{"customer_number":"LXC-0001","name":"LXC Test GmbH","language":"de"}' || return 1
  code=$(hcurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "https://$HAPROXY_NAME/api/v1/customers/$ID")
  [[ "$code" == 200 ]] || { echo "GET /api/v1/customers/$ID answered $code"; return 1; }
  in_primary customers "$ID"
}

create_ticket() {
  create_customer || return 1
  api_post /api/v1/tickets "{\"customer_id\":\"$ID\",\"title\":\"LXC end-to-end\",\"description\":\"created through HAProxy\",\"priority\":\"medium\"}" || return 1
  in_primary tickets "$ID"
}

check_ticket_list() {
  local out code
  out=$(hcurl -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" "https://$HAPROXY_NAME/api/v1/tickets")
  code=${out##*$'\n'}
  [[ "$code" == 200 && "${out%$'\n'*}" == "{"* ]] || { echo "GET /api/v1/tickets answered $code: ${out:0:300}"; return 1; }
}

# HAProxy's own statistics: both servers of be_api have sessions (round robin reached each).
check_both_apis_served() {
  local i csv pw s1 s2
  for ((i = 0; i < 10; i++)); do
    hcurl -o /dev/null "https://$HAPROXY_NAME/api/v1/auth/me" -H "Authorization: Bearer $TOKEN"
  done
  pw=$(pct exec "$(ct_of haproxy)" -- cat /etc/haproxy/stats-password)
  csv=$(pct exec "$(ct_of haproxy)" -- curl -sS --max-time 5 -u "admin:$pw" 'http://127.0.0.1:8404/stats;csv')
  # CSV columns: pxname,svname,...; column 8 is stot (total sessions).
  s1=$(awk -F, '$1 == "be_api" && $2 == "api-1" { print $8 }' <<<"$csv")
  s2=$(awk -F, '$1 == "be_api" && $2 == "api-2" { print $8 }' <<<"$csv")
  echo "be_api sessions: api-1=${s1:-none} api-2=${s2:-none}"
  [[ "${s1:-0}" -gt 0 && "${s2:-0}" -gt 0 ]]
}

# One API instance stopped: every request still succeeds (the other serves), then it comes back.
check_failover() {
  local ct i code rc=0
  ct=$(ct_of api-1)
  pct exec "$ct" -- systemctl stop appliance-api.service
  for ((i = 0; i < 10; i++)); do
    code=$(hcurl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "https://$HAPROXY_NAME/api/v1/auth/me")
    [[ "$code" == 200 ]] || { echo "request $i with api-1 stopped answered $code"; rc=1; break; }
  done
  pct exec "$ct" -- systemctl start appliance-api.service
  return "$rc"
}

check_worker_heartbeat() {
  local n
  n=$(psql_primary "SELECT count(*) FROM worker_nodes WHERE host_name = '$(topology_get worker hostname)' AND last_seen_at > now() - interval '60 seconds'")
  [[ "$n" -ge 1 ]] || { echo "no recent worker_nodes row of $(topology_get worker hostname) (found $n)"; return 1; }
}

check_replication() {
  local state
  state=$(pct exec "$(ct_of postgres)" -- runuser -u postgres -- psql -X -At -c \
    "SELECT state FROM pg_stat_replication WHERE client_addr = '$(topology_get postgres-replica ip)'")
  [[ "$state" == streaming ]] || { echo "replica state '${state:-absent}'"; return 1; }
  # The record written above (the last ID: the ticket, or the customer) has reached the standby.
  local table=customers
  [[ $E2E_CREATE == create_ticket ]] && table=tickets
  [[ "$(pct exec "$(ct_of postgres-replica)" -- runuser -u postgres -- psql -X -At -d appliance -c "SELECT count(*) FROM $table WHERE id::text = '${ID:-none}'")" == 1 ]] ||
    { echo "the standby does not have $table ${ID:-none}"; return 1; }
}

check_health_script_recovers() {
  pct exec "$(ct_of worker)" -- systemctl stop appliance-worker.service
  "$REPO/proxmox/health-check.sh" --role worker --interval 2 || return 1
  pct exec "$(ct_of worker)" -- systemctl is-active --quiet appliance-worker.service
}

# proxmox/scale-api.sh clones api-1 into a third instance (snapshot, clone, set, start, HAProxy
# config pulled, extended, pushed, reloaded); round robin then reaches it too.
check_scale_out() {
  local i csv pw sessions
  "$REPO/proxmox/scale-api.sh" --interval 1 --tries 60 || return 1
  for ((i = 0; i < 12; i++)); do
    hcurl -o /dev/null "https://$HAPROXY_NAME/api/v1/auth/me" -H "Authorization: Bearer $TOKEN"
  done
  pw=$(pct exec "$(ct_of haproxy)" -- cat /etc/haproxy/stats-password)
  csv=$(pct exec "$(ct_of haproxy)" -- curl -sS --max-time 5 -u "admin:$pw" 'http://127.0.0.1:8404/stats;csv')
  sessions=$(awk -F, '$1 == "be_api" && $2 == "appliance-api-3" { print $8 }' <<<"$csv")
  echo "be_api sessions of appliance-api-3: ${sessions:-none}"
  [[ "${sessions:-0}" -gt 0 ]]
}

# A release whose API binary cannot even migrate: deploy.sh must roll every container back to its
# snapshot (exit 3), leaving the deployed binaries as they were.
check_deploy_rollback() {
  local broken="$LXC_WORK/broken-release" rc=0 before after ct
  ct=$(ct_of api-1)
  install -d -m 0755 "$broken/api" "$broken/worker"
  printf '#!/bin/sh\necho "this release is broken" >&2\nexit 1\n' >"$broken/api/appliance-api"
  chmod 0755 "$broken/api/appliance-api"
  cp -- "$RELEASE/worker/appliance-worker" "$broken/worker/appliance-worker"
  before=$(pct exec "$ct" -- sha256sum /opt/appliance/api/appliance-api | cut -d' ' -f1)
  "$REPO/proxmox/deploy.sh" --interval 1 --tries 5 "$broken" || rc=$?
  after=$(pct exec "$ct" -- sha256sum /opt/appliance/api/appliance-api | cut -d' ' -f1)
  echo "deploy.sh exit $rc (3 = rolled back); api binary ${before:0:12} before, ${after:0:12} after"
  ((rc == 3)) && [[ -n "$before" && "$before" == "$after" ]]
}

check_serves_after_rollback() {
  local i
  for ((i = 0; i < 60; i++)); do
    if check_https_health >/dev/null 2>&1 && login >/dev/null 2>&1; then
      echo "healthy and logged in after ${i}s"
      return 0
    fi
    sleep 1
  done
  echo "HAProxy /health or the login still fail 60 s after the rollback"
  return 1
}

# After the rollback the standby follows the rolled-back primary again: a record written now
# reaches it (a standby left ahead of the primary would wait for WAL that never comes).
check_replica_after_rollback() {
  local i state seen
  api_post /api/v1/customers '{"customer_number":"LXC-0002","name":"LXC After Rollback GmbH","language":"de"}' || return 1
  for ((i = 0; i < 60; i++)); do
    state=$(pct exec "$(ct_of postgres)" -- runuser -u postgres -- psql -X -At -c \
      "SELECT state FROM pg_stat_replication WHERE client_addr = '$(topology_get postgres-replica ip)'")
    seen=$(pct exec "$(ct_of postgres-replica)" -- runuser -u postgres -- psql -X -At -d appliance -c \
      "SELECT count(*) FROM customers WHERE id = '$ID'")
    if [[ "$state" == streaming && "$seen" == 1 ]]; then
      echo "streaming, customer $ID on the standby after ${i}s"
      return 0
    fi
    sleep 1
  done
  echo "replica state '${state:-absent}', customer on the standby: ${seen:-?}"
  pct exec "$(ct_of postgres-replica)" -- sh -c 'tail -n 3 /var/log/postgresql/postgresql-15-main.log'
  return 1
}

check_redeploy_is_noop() {
  local out
  out=$("$REPO/proxmox/deploy.sh" --interval 1 --tries 30 "$RELEASE" 2>&1) || { echo "$out"; return 1; }
  echo "$out"
  [[ "$out" == *"already runs this release"* ]]
}

check_services_reach_pg() {
  tcp_probe "$(ct_of api-1)" "$PG_IP" 5432
}

# The drop rule's counter before the probe, so the check proves this probe was counted.
dmz_counter() {
  in_router nft list chain inet appliance forward |
    sed -nE 's/.*ip saddr 10\.0\.40\.0\/24 ip daddr 10\.0\.30\.0\/24 counter packets ([0-9]+) .*/\1/p'
}

check_dmz_to_pg_dropped() {
  local rc=0 before after
  before=$(dmz_counter)
  tcp_probe "$(ct_of haproxy)" "$PG_IP" 5432 || rc=$?
  after=$(dmz_counter)
  echo "probe exit $rc (124 = no answer), dmz-to-db counter $before -> $after"
  ((rc == 124)) && ((after > before))
}

check_drop_logged() {
  dmesg | grep -E "appliance-drop dmz-to-db: .*SRC=$HAPROXY_IP DST=$PG_IP .*DPT=5432" | tail -n 1 | grep .
}

check_outside_to_api_dropped() {
  local rc=0
  client timeout 3 bash -c "$TCP_CONNECT" probe "$(topology_get api-1 ip)" "$API_PORT" || rc=$?
  echo "probe exit $rc (124 = no answer)"
  ((rc == 124))
}

# No traffic is sent anywhere else: the isolation is read from the configuration.
check_isolated() {
  local seg bridge port role route
  [[ -z "$(in_router ip route show default)" ]] || { echo "the router has a default route"; return 1; }
  while read -r role; do
    seg=$(topology_get "$role" segment)
    route=$(pct exec "$(ct_of "$role")" -- ip -4 route show default)
    [[ "$route" == "default via $(segment_get "$seg" gateway) dev eth0"* ]] || { echo "$role: default route '$route'"; return 1; }
  done < <(topology_roles)
  for seg in management services database dmz backup; do
    bridge=$(lxc_bridge "$(segment_get "$seg" bridge)")
    [[ -z "$(ip -4 -o addr show dev "$bridge")" ]] || { echo "the host has an address on $bridge"; return 1; }
    # Ports: the router's veth and the containers' veths, never an interface with a device behind it.
    while read -r port; do
      [[ -n "$port" ]] || continue
      [[ ! -e "/sys/class/net/$port/device" ]] || { echo "physical port $port on $bridge"; return 1; }
      [[ "$(ip -d -o link show dev "$port")" == *" veth "* ]] || { echo "$port on $bridge is not a veth"; return 1; }
    done < <(ip -o link show master "$bridge" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
  done
}

run_checks() {
  check "HAProxy: GET /health over HTTPS with the appliance certificate" check_https_health
  check "HAProxy: plain HTTP redirects to HTTPS (301)" check_redirect
  check "login as the provisioned admin through HAProxy" login
  check "create a record through HAProxy ($E2E_CREATE)" "$E2E_CREATE"
  check "list tickets through HAProxy" check_ticket_list
  check "round robin: both API instances served requests (HAProxy stats)" check_both_apis_served
  check "failover: requests succeed with api-1 stopped" check_failover
  check "worker: heartbeat row in worker_nodes" check_worker_heartbeat
  check "PostgreSQL replica streams and has the new data" check_replication
  check "health-check.sh restarts a stopped worker" check_health_script_recovers
  check "scale-api.sh adds a third API instance that HAProxy uses" check_scale_out
  check "firewall: services -> PostgreSQL 5432 allowed" check_services_reach_pg
  check "firewall: DMZ -> PostgreSQL 5432 dropped and counted" check_dmz_to_pg_dropped
  check "firewall: the drop is logged (appliance-drop dmz-to-db)" check_drop_logged
  check "firewall: outside -> API 3000 dropped" check_outside_to_api_dropped
  check "isolation: no route out, no host address, no physical port" check_isolated
  check "deploy.sh rolls a broken release back (snapshots)" check_deploy_rollback
  check "after the rollback the appliance serves again" check_serves_after_rollback
  check "after the rollback the replica follows the primary again" check_replica_after_rollback
  check "deploy.sh of the running release changes nothing" check_redeploy_is_noop
}

# The first system admin, as an operator creates it after the first deploy (the password file
# leaves the container again).
create_admin() {
  local ct
  ct=$(ct_of api-1)
  pct push "$ct" "$SECRETS/admin-password" /root/admin-password --perms 0600 &&
    pct exec "$ct" -- systemd-run --quiet --wait --pipe --collect -p EnvironmentFile=/etc/appliance/env \
      --setenv=APPLIANCE_CONFIG_DIR=/etc/appliance /opt/appliance/api/appliance-api create-admin \
      --email "$ADMIN_EMAIL" --password-file /root/admin-password --display-name "LXC test admin" &&
    pct exec "$ct" -- rm -f /root/admin-password
}

# --- main ------------------------------------------------------------------------------------------

is_dry_run || install -d -m 0711 "$LXC_WORK" "$LXC_CACHE"
is_dry_run || install -d -m 0700 "$LOGS"
if is_dry_run; then
  log "dry run: rootfs.sh, the store $STORE on $CONTAINERS, network.sh up, create-containers.sh, deploy.sh, the checks"
  "$HERE/rootfs.sh" --dry-run
  "$HERE/network.sh" --dry-run up
  dry_bin=$(mktemp -d)
  ln -s "$HERE/pct-lxc" "$dry_bin/pct"
  rc=0
  PATH="$dry_bin:$PATH" "$REPO/proxmox/create-containers.sh" --dry-run --secrets-dir "$SECRETS" || rc=$?
  rm -rf -- "$dry_bin"
  exit "$rc"
fi

exec 9>"$LXC_CACHE/.run.lock"
if ! flock -w 1800 9; then
  die "another run of tests/lxc/run-appliance.sh holds $LXC_CACHE/.run.lock" 75
fi
# --down (also waits for a run in progress).
if ((DOWN)); then
  KEEP=0
  trap on_exit EXIT
  exit 0
fi
# A run that was killed leaves its containers and bridges: they are ours (prefix, LXC path).
if [[ -e "$STORE" ]] || [[ -n "$(compgen -G "$CONTAINERS/*/pct.conf")" ]] || ip netns list | grep -q "^$LXC_ROUTER_NS"; then
  log "cleaning up what an earlier run left"
  teardown
fi
rm -f -- "$LOGS"/*.log
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. the template: the cached rootfs under the name create-containers.sh looks for
log "rootfs: $("$HERE/rootfs.sh" --print-path) (built when missing: debootstrap, a few minutes)"
step_started=$SECONDS
rootfs=$("$HERE/rootfs.sh" 2>>"$LOGS/rootfs.log" | tail -n 1) || true
[[ -s "$rootfs" ]] || { tail -n 20 -- "$LOGS/rootfs.log" >&2; fail "setup: rootfs" "see $LOGS/rootfs.log"; exit 2; }
install -d -m 0755 "$TEMPLATES" "$BIN"
ln -sfn "$rootfs" "$TEMPLATES/$TEMPLATE_NAME"
ln -sfn "$HERE/pct-lxc" "$BIN/pct"
pass "setup: rootfs $(basename "$rootfs") ($((SECONDS - step_started))s)"

# 2. host entries, the container store and the network
subid_ensure
setup_step store store_up
setup_step network "$HERE/network.sh" up

# 3. the release
if [[ -z "$RELEASE" ]]; then
  require_cmd dotnet
  RELEASE="$LXC_WORK/release"
  rm -rf -- "$RELEASE"
  setup_step publish-api dotnet publish "$REPO/src/Appliance.Api" -c Release -r linux-x64 --self-contained -o "$RELEASE/api"
  setup_step publish-worker dotnet publish "$REPO/workers/Appliance.Worker" -c Release -r linux-x64 --self-contained -o "$RELEASE/worker"
fi

# 4. the appliance's own scripts, unchanged, with the LXC backend as pct
setup_step create-containers "$REPO/proxmox/create-containers.sh" --secrets-dir "$SECRETS"
setup_step deploy "$REPO/proxmox/deploy.sh" --interval 1 --tries 60 "$RELEASE"

# 5. the first system admin
random_alnum 24 | write_file 0600 "$SECRETS/admin-password"
setup_step create-admin create_admin

# The client trusts the appliance's certificate (only the certificate leaves the container).
install -d -m 0700 "$LXC_WORK/client"
pct exec "$(ct_of haproxy)" -- openssl x509 -in /etc/haproxy/certs/appliance.pem >"$LXC_WORK/client/ca.pem"

run_checks
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0)) || exit 1
