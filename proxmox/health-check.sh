#!/usr/bin/env bash
# Usage: proxmox/health-check.sh [--dry-run] [--role ROLE]... [--tries N] [--interval S]
#
# Checks every container of the topology (or only --role ROLE; api-* scale-out containers are
# included with the api roles): a stopped container is started; a running one whose service is
# unhealthy gets, in this order, a service restart (pct exec … systemctl restart) and then a
# container reboot (pct reboot), each followed by up to --tries (5) checks --interval (3 s) apart.
# The API is healthy when /health answers on port 3000; every other role when its systemd unit
# is active. Meant for a systemd timer or cron on the Proxmox host.
#
# Exit codes:
#   0   every checked container is healthy (possibly after a restart)
#   2   at least one container is still unhealthy after the restart and the reboot
#   64  usage error; 69 pct not found; 77 not root (a real run)
set -Eeuo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=../lib/common.sh
source "$HERE/../lib/common.sh"
# shellcheck source=lib/topology.sh
source "$HERE/lib/topology.sh"
# shellcheck source=lib/pve.sh
source "$HERE/lib/pve.sh"
trap 'on_err "$?" "$LINENO"' ERR

TRIES=5 INTERVAL=3
ROLES=()

usage() { sed -n '2,/^set -E/{/^#/s/^# \{0,1\}//p}' "$0"; }
number() { [[ "${2:-}" =~ ^[0-9]+$ ]] || die "$1 needs a number, got '${2:-}'" 64; }

while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --role)
      topology_get "${2:-}" ctid >/dev/null 2>&1 || die "unknown role '${2:-}' (roles: $(topology_roles | tr '\n' ' '))" 64
      ROLES+=("$2")
      shift
      ;;
    --tries) number --tries "${2:-}"; TRIES=$2; shift ;;
    --interval) number --interval "${2:-}"; INTERVAL=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" 64 ;;
  esac
  shift
done
export DRY_RUN
is_dry_run || require_root
require_cmd pct
((${#ROLES[@]})) || mapfile -t ROLES < <(topology_roles)

# "CTID SERVICE" lines to check.
TARGETS=()
api_selected=0
for role in "${ROLES[@]}"; do
  [[ "$role" == api-* ]] && api_selected=1
  TARGETS+=("$(topology_get "$role" ctid) $(topology_get "$role" service)")
done
if ((api_selected)); then
  while read -r id name; do
    [[ "$name" == appliance-api-* ]] || continue
    role_for_ctid "$id" >/dev/null && continue
    TARGETS+=("$id appliance-api.service")
  done < <(pct_list_names)
fi

check() {
  local ct=$1 service=$2
  if [[ "$service" == appliance-api.service ]]; then
    pct exec "$ct" -- curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$API_PORT/health" >/dev/null 2>&1
  else
    pct exec "$ct" -- systemctl is-active --quiet "$service" >/dev/null 2>&1
  fi
}

check_tries() {
  local i
  for ((i = 1; i <= TRIES; i++)); do
    check "$@" && return 0
    ((i == TRIES)) || sleep "$INTERVAL"
  done
  return 1
}

unhealthy=0
for target in "${TARGETS[@]}"; do
  read -r ct service <<<"$target"
  if ! ct_exists "$ct"; then
    log "CT $ct does not exist (run create-containers.sh)"
    unhealthy=1
    continue
  fi
  if ! ct_running "$ct"; then
    log "CT $ct is not running: starting it"
    run pct start "$ct"
    is_dry_run && continue
  fi
  if check "$ct" "$service"; then
    log "CT $ct $service healthy"
    continue
  fi
  log "CT $ct $service unhealthy: restarting the service"
  run pct exec "$ct" -- systemctl restart "$service"
  if ! is_dry_run && check_tries "$ct" "$service"; then
    log "CT $ct $service healthy after the restart"
    continue
  fi
  log "CT $ct $service still unhealthy: rebooting the container"
  run pct reboot "$ct"
  if ! is_dry_run && check_tries "$ct" "$service"; then
    log "CT $ct $service healthy after the reboot"
    continue
  fi
  is_dry_run && continue
  log "ERROR: CT $ct $service unhealthy after service restart and container reboot"
  unhealthy=1
done
((unhealthy == 0)) || exit 2
log "all checked containers healthy"
