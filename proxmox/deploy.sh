#!/usr/bin/env bash
# Usage: proxmox/deploy.sh [--dry-run] [--keep N] [--tries N] [--interval SECONDS] [--smoke SCRIPT] RELEASE_DIR
#
# Deploys a release (RELEASE_DIR/api/appliance-api and RELEASE_DIR/worker/appliance-worker, as
# `dotnet publish` leaves them; only these two files are installed, so the debug symbols that publish
# puts in RELEASE_DIR/symbols/ stay on this machine) into the appliance's containers:
#   1. pre-checks: binaries present and executable; API (every appliance-api-* container, so
#      scaled-out ones too), worker, PostgreSQL primary and HAProxy containers exist and run
#   2. if every container already runs these exact binaries (sha256): nothing to do
#   3. snapshot deploy-<UTC time> of the API, worker and PostgreSQL containers (the replica, if
#      there is one, just before the primary, so that a rollback leaves it behind, not ahead)
#   4. stop the services, 5. install the binaries (push to *.new, then an atomic mv)
#   6. migrate (appliance-migrate.service on the first API container), 7. start the services
#   8. health check: up to --tries (30) rounds, --interval (2 s) apart, until every API answers
#      /health on port 3000 and the worker is active
#   9. smoke test: /health through HAProxy, then --smoke SCRIPT (run here with HAProxy's IP)
#  10. any failure from 5 on: stop every snapshotted container, then roll each back to the snapshot
#      and start it, the primary first;
#      success: delete deploy-* snapshots beyond the newest --keep (3) per container
# --dry-run prints the pct commands (and checks) a real run would execute.
#
# Exit codes:
#   0   deployed, or this release was already deployed
#   1   unexpected failure before anything changed
#   2   pre-check failed (nothing changed)
#   3   deploy failed and every container was rolled back to the snapshot
#   4   deploy failed and the rollback failed too: manual action needed
#   64  usage error
#   69  pct not found
#   77  not root (a real run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=../lib/common.sh
source "$HERE/../lib/common.sh"
# shellcheck source=lib/topology.sh
source "$HERE/lib/topology.sh"
# shellcheck source=lib/pve.sh
source "$HERE/lib/pve.sh"
trap 'on_err "$?" "$LINENO"' ERR

KEEP=3 TRIES=30 INTERVAL=2 SMOKE='' RELEASE=''
API_BIN=/opt/appliance/api/appliance-api
WORKER_BIN=/opt/appliance/worker/appliance-worker

usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "$0"; }
positive() {
  if ! [[ "$2" =~ ^[0-9]+$ ]] || (($2 < $3)); then
    die "$1 must be a number >= $3, got '$2'" 64
  fi
}

while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --keep) positive --keep "${2:-}" 1; KEEP=$2; shift ;;
    --tries) positive --tries "${2:-}" 1; TRIES=$2; shift ;;
    --interval) positive --interval "${2:-}" 0; INTERVAL=$2; shift ;;
    --smoke) [[ -x "${2:-}" ]] || die "--smoke needs an executable script, got '${2:-}'" 64; SMOKE=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" 64 ;;
    *) [[ -z "$RELEASE" ]] || die "only one RELEASE_DIR expected" 64; RELEASE=$1 ;;
  esac
  shift
done
[[ -n "$RELEASE" ]] || die "RELEASE_DIR missing (see --help)" 64
export DRY_RUN
is_dry_run || require_root
require_cmd pct

# --- 1. pre-checks -----------------------------------------------------------------------------
[[ -d "$RELEASE" ]] || die "pre-check: release directory '$RELEASE' not found" 2
for bin in "$RELEASE/api/appliance-api" "$RELEASE/worker/appliance-worker"; do
  [[ -f "$bin" && -x "$bin" ]] || die "pre-check: $bin missing or not executable" 2
done
API_CTS=()
while read -r id name; do
  [[ "$name" == appliance-api-* ]] && API_CTS+=("$id")
done < <(pct_list_names)
((${#API_CTS[@]})) || die "pre-check: no appliance-api-* container found (pct list)" 2
WORKER_CT=$(topology_get worker ctid)
PG_CT=$(topology_get postgres ctid)
REPLICA_CT=$(topology_get postgres-replica ctid)
HAPROXY_CT=$(topology_get haproxy ctid)
for ct in "${API_CTS[@]}" "$WORKER_CT" "$PG_CT" "$HAPROXY_CT"; do
  ct_running "$ct" || die "pre-check: CT $ct is not running" 2
done
# The PostgreSQL replica goes with the primary, snapshotted just before it: its snapshot then holds
# no WAL the primary's lacks, so after a rollback it follows the primary again instead of having
# replayed WAL the rolled-back primary never wrote (a silently diverged standby).
SNAP_CTS=("${API_CTS[@]}" "$WORKER_CT")
if ct_exists "$REPLICA_CT"; then
  SNAP_CTS+=("$REPLICA_CT")
fi
SNAP_CTS+=("$PG_CT")
log "pre-checks passed: api ${API_CTS[*]}, worker $WORKER_CT, postgres $PG_CT, haproxy $HAPROXY_CT"

# --- 2. anything to do? -----------------------------------------------------------------------
api_sum=$(sha256sum "$RELEASE/api/appliance-api" | cut -d' ' -f1)
worker_sum=$(sha256sum "$RELEASE/worker/appliance-worker" | cut -d' ' -f1)
deployed_sum() { pct exec "$1" -- sha256sum "$2" 2>/dev/null | cut -d' ' -f1 || true; }
outdated=0
for ct in "${API_CTS[@]}"; do
  [[ "$(deployed_sum "$ct" "$API_BIN")" == "$api_sum" ]] || outdated=1
done
[[ "$(deployed_sum "$WORKER_CT" "$WORKER_BIN")" == "$worker_sum" ]] || outdated=1
if ((outdated == 0)); then
  log "every container already runs this release (api ${api_sum:0:12}, worker ${worker_sum:0:12}); nothing to do"
  exit 0
fi

# --- 3. snapshot ------------------------------------------------------------------------------
SNAP="deploy-$(date -u +%Y%m%dT%H%M%S)"
log "snapshot $SNAP of CT ${SNAP_CTS[*]}"
for ct in "${SNAP_CTS[@]}"; do
  run pct snapshot "$ct" "$SNAP" --description "before release api ${api_sum:0:12} worker ${worker_sum:0:12}" ||
    die "snapshot of CT $ct failed; nothing else changed" 1
done

rollback() {
  local ct i failed=0
  log "rolling back CT ${SNAP_CTS[*]} to $SNAP"
  # Everything stops before anything is rolled back, and the containers come back in reverse order
  # (the primary first): a replica restarted earlier would stream WAL from the not yet rolled back
  # primary and end up ahead of it.
  for ct in "${SNAP_CTS[@]}"; do
    run pct stop "$ct" || true
  done
  for ((i = ${#SNAP_CTS[@]} - 1; i >= 0; i--)); do
    ct=${SNAP_CTS[i]}
    run pct rollback "$ct" "$SNAP" || { failed=1; log "ERROR: rollback of CT $ct failed"; continue; }
    run pct start "$ct" || { failed=1; log "ERROR: CT $ct did not start after the rollback"; }
  done
  return "$failed"
}

# --- 4.-7. stop, install, migrate, start --------------------------------------------------------
install_rc=0 migrate_rc=0 health_rc=1 smoke_rc=1
install_bin() {
  local ct=$1 src=$2 dest=$3
  log "installing $(basename "$src") into CT $ct"
  run pct push "$ct" "$src" "$dest.new" --perms 0755 --user 0 --group 0 &&
    run pct exec "$ct" -- mv -f "$dest.new" "$dest"
}
# Explicit returns: errexit does not apply inside a function called in an || list.
stop_and_install() {
  local ct
  for ct in "${API_CTS[@]}"; do
    run pct exec "$ct" -- systemctl stop appliance-api.service || return
  done
  run pct exec "$WORKER_CT" -- systemctl stop appliance-worker.service || return
  for ct in "${API_CTS[@]}"; do
    install_bin "$ct" "$RELEASE/api/appliance-api" "$API_BIN" || return
  done
  install_bin "$WORKER_CT" "$RELEASE/worker/appliance-worker" "$WORKER_BIN"
}
stop_and_install || install_rc=$?

if ((install_rc == 0)); then
  log "migrating the database (appliance-migrate.service on CT ${API_CTS[0]})"
  run pct exec "${API_CTS[0]}" -- systemctl start appliance-migrate.service || migrate_rc=$?
fi

healthy_once() {
  local ct
  for ct in "${API_CTS[@]}"; do
    run pct exec "$ct" -- curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$API_PORT/health" || return 1
  done
  run pct exec "$WORKER_CT" -- systemctl is-active --quiet appliance-worker.service
}

if ((install_rc == 0 && migrate_rc == 0)); then
  for ct in "${API_CTS[@]}"; do
    run pct exec "$ct" -- systemctl start appliance-api.service || true
  done
  run pct exec "$WORKER_CT" -- systemctl start appliance-worker.service || true
  for ((try = 1; try <= TRIES; try++)); do
    if healthy_once; then
      health_rc=0
      log "healthy after $try round(s)"
      break
    fi
    log "not healthy yet ($try/$TRIES)"
    ((try == TRIES)) || sleep "$INTERVAL"
  done
  if ((health_rc == 0)); then
    smoke_rc=0
    log "smoke test: /health through HAProxy (CT $HAPROXY_CT)"
    run pct exec "$HAPROXY_CT" -- curl -fsSk -o /dev/null --max-time 5 https://127.0.0.1/health || smoke_rc=$?
    if ((smoke_rc == 0)) && [[ -n "$SMOKE" ]]; then
      log "smoke test: $SMOKE"
      run "$SMOKE" "$(topology_get haproxy ip)" || smoke_rc=$?
    fi
  fi
fi

decision=$(deploy_decision "$install_rc" "$migrate_rc" "$health_rc" "$smoke_rc")
if [[ "$decision" != commit ]]; then
  log "deploy failed: ${decision#rollback: }"
  if rollback; then
    log "rolled back to $SNAP"
    exit 3
  fi
  log "ERROR: rollback incomplete; containers ${SNAP_CTS[*]} need attention (snapshot $SNAP)"
  exit 4
fi

# --- 10. keep N snapshots ---------------------------------------------------------------------
for ct in "${SNAP_CTS[@]}"; do
  mapfile -t names < <(snapshot_names "$ct")
  is_dry_run && names+=("$SNAP")
  while read -r old; do
    [[ -n "$old" ]] || continue
    log "deleting old snapshot $old of CT $ct (keeping $KEEP)"
    run pct delsnapshot "$ct" "$old"
  done < <(snapshots_to_prune "$KEEP" "${names[@]}")
done
log "deployed: api ${api_sum:0:12}, worker ${worker_sum:0:12} (snapshot $SNAP kept for rollback)"
